// Argo Rollouts metric conditions that judge one measurement the way the Rollgate engine does.
//
// Argo evaluates `successCondition` and `failureCondition` (expr language) on `result`: for a
// Prometheus instant vector, the list of sample values; for a scalar, the number. With both
// conditions set, a measurement that meets neither is Inconclusive (the rollout pauses). Rollgate
// counts a measurement as no data when the query returns no series, several series, or NaN, and
// then follows `onNoData`. Both conditions are always written, so every measurement meets the one
// Rollgate would give it, and no data is never left to Argo's "index out of range" error.
import { plainNumber } from './format';

export interface Bounds {
  min?: number;
  max?: number;
}

export type OnNoData = 'fail' | 'pass' | 'inconclusive';

export interface ConditionOptions {
  bounds: Bounds;
  onNoData: OnNoData;
  /** What the query returns: an instant vector (a list in Argo) or a scalar (a number). */
  shape: 'vector' | 'scalar';
  /**
   * `rollback.automatic: false`: a breach must pause, not abort. Argo pauses on Inconclusive,
   * so the failure condition never holds and a breach is left Inconclusive.
   */
  pauseOnBreach: boolean;
}

export interface MetricConditions {
  successCondition: string;
  failureCondition: string;
}

export function metricConditions(options: ConditionOptions): MetricConditions {
  const value = options.shape === 'vector' ? 'result[0]' : 'result';
  const hasData = options.shape === 'vector' ? 'len(result) == 1' : '!isNaN(result)';
  const noData = options.shape === 'vector' ? 'len(result) != 1 || isNaN(result[0])' : 'isNaN(result)';
  const { min, max } = options.bounds;
  const inside = [min !== undefined ? `${value} >= ${plainNumber(min)}` : undefined, max !== undefined ? `${value} <= ${plainNumber(max)}` : undefined].filter((part): part is string => part !== undefined);
  const outside = [min !== undefined ? `${value} < ${plainNumber(min)}` : undefined, max !== undefined ? `${value} > ${plainNumber(max)}` : undefined].filter((part): part is string => part !== undefined);
  // NaN compares false with everything, so `inside` and `outside` are both false for it.
  const pass = inside.length > 0 ? `(${inside.join(' && ')})` : 'true';
  const fail = outside.length > 0 ? `(${outside.join(' || ')})` : 'false';

  const successCondition = options.onNoData === 'pass' ? `${noData} || ${pass}` : `${hasData} && ${pass}`;
  if (options.pauseOnBreach) return { successCondition, failureCondition: 'false' };
  const failureCondition = options.onNoData === 'fail' ? `${noData} || ${fail}` : `${hasData} && ${fail}`;
  return { successCondition, failureCondition };
}

import { EndpointHttpClient, type EndpointClientOptions, type EndpointRequest } from './http';
import { errorMessage } from '../errors';

/** Label set of a series, e.g. `{ version: "42", code: "500" }`. */
export type PromLabels = Record<string, string>;

/** One value at one time; `time` is Unix seconds. `NaN`, `Infinity` and `-Infinity` pass through. */
export interface PromSamplePoint {
  time: number;
  value: number;
}

export interface PromVectorSample extends PromSamplePoint {
  metric: PromLabels;
}

export interface PromMatrixSeries {
  metric: PromLabels;
  points: PromSamplePoint[];
}

/** A decoded Prometheus result: plain data, numbers as numbers. */
export type PromResult =
  | { resultType: 'vector'; samples: PromVectorSample[] }
  | { resultType: 'matrix'; series: PromMatrixSeries[] }
  | { resultType: 'scalar'; time: number; value: number }
  | { resultType: 'string'; time: number; value: string };

export interface PromQueryResponse {
  result: PromResult;
  /** Warnings Prometheus attached to a successful answer. */
  warnings: string[];
}

/** A time for the Prometheus API: a `Date`, Unix seconds, or an RFC 3339 string. */
export type PromTime = Date | number | string;

export interface PromQueryOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
}

/**
 * Client for the Prometheus HTTP API (`/api/v1/query`, `/api/v1/query_range`). Throws
 * {@link EndpointError} with `endpoint: 'metrics'`; a Prometheus `status: "error"` answer becomes
 * `kind: 'prometheus'` with `code` set to Prometheus' `errorType`.
 */
export class PrometheusClient {
  readonly http: EndpointHttpClient;

  constructor(options: EndpointClientOptions) {
    this.http = new EndpointHttpClient('metrics', options);
  }

  get baseUrl(): string {
    return this.http.baseUrl;
  }

  /** Instant query at `time` (default: Prometheus' now). */
  async query(promql: string, time?: PromTime, options: PromQueryOptions = {}): Promise<PromQueryResponse> {
    const parameters: Record<string, string> = { query: promql };
    if (time !== undefined) parameters.time = formatTime(time);
    return this.#call('/api/v1/query', parameters, promql, options);
  }

  /** Range query from `start` to `end` every `step` (seconds, or a duration such as `15s`). */
  async queryRange(promql: string, start: PromTime, end: PromTime, step: number | string, options: PromQueryOptions = {}): Promise<PromQueryResponse> {
    const parameters = { query: promql, start: formatTime(start), end: formatTime(end), step: String(step) };
    return this.#call('/api/v1/query_range', parameters, promql, options);
  }

  async #call(path: string, parameters: Record<string, string>, promql: string, options: PromQueryOptions): Promise<PromQueryResponse> {
    // Queries are read-only, so they may be retried; long PromQL goes in a form body to stay
    // clear of URL length limits.
    const asForm = promql.length > 2000;
    const request: EndpointRequest = asForm ? { method: 'POST', path, form: parameters, idempotent: true, ...options } : { method: 'GET', path, query: parameters, ...options };
    const response = await this.http.send({
      ...request,
      // Prometheus explains bad queries in the body of these statuses.
      acceptStatus: (status) => status === 400 || status === 422 || status === 503,
    });
    const body = response.body as { status?: unknown; data?: unknown; errorType?: unknown; error?: unknown; warnings?: unknown } | undefined;
    const fail = (kind: 'malformed' | 'prometheus', message: string, code?: string) => this.http.fail(request, response.url, response.attempts, { kind, message, status: response.status, code });
    if (typeof body !== 'object' || body === null || (body.status !== 'success' && body.status !== 'error')) {
      throw fail('malformed', `${this.http.describe()} answered ${response.status} with a body that is not a Prometheus API response (${request.method} ${path}). Is ${this.http.baseUrl} really a Prometheus server?`);
    }
    if (body.status === 'error') {
      const errorType = typeof body.errorType === 'string' ? body.errorType : 'unknown';
      const detail = typeof body.error === 'string' ? body.error : 'no detail given';
      throw fail('prometheus', `Prometheus at ${this.http.baseUrl} rejected the query (${errorType}): ${detail}. Query: ${promql}`, errorType);
    }
    try {
      return { result: decodePromResult(body.data), warnings: Array.isArray(body.warnings) ? body.warnings.map(String) : [] };
    } catch (error) {
      throw fail('malformed', `${this.http.describe()} sent a result Rollgate cannot read (${request.method} ${path}): ${errorMessage(error)}. Query: ${promql}`);
    }
  }
}

function formatTime(time: PromTime): string {
  if (time instanceof Date) return (time.getTime() / 1000).toFixed(3);
  if (typeof time === 'number') return String(time);
  return time;
}

/** Prometheus encodes sample values as strings, including `NaN`, `+Inf` and `-Inf`. */
export function parsePromSampleValue(raw: unknown): number {
  if (typeof raw !== 'string') throw new Error(`sample value ${JSON.stringify(raw)} is not a string`);
  switch (raw) {
    case '+Inf':
    case 'Inf':
      return Number.POSITIVE_INFINITY;
    case '-Inf':
      return Number.NEGATIVE_INFINITY;
    case 'NaN':
      return Number.NaN;
    default: {
      const value = Number(raw);
      if (raw.trim() === '' || Number.isNaN(value)) throw new Error(`sample value "${raw}" is not a number`);
      return value;
    }
  }
}

function decodePoint(raw: unknown): PromSamplePoint {
  if (!Array.isArray(raw) || raw.length !== 2 || typeof raw[0] !== 'number') throw new Error(`expected [time, "value"], got ${JSON.stringify(raw)}`);
  return { time: raw[0], value: parsePromSampleValue(raw[1]) };
}

function decodePromLabels(raw: unknown): PromLabels {
  if (typeof raw !== 'object' || raw === null) throw new Error('series without a metric label set');
  const labels: PromLabels = {};
  for (const [name, value] of Object.entries(raw)) labels[name] = String(value);
  return labels;
}

function rejectNativeHistogram(entry: object): void {
  if ('histogram' in entry || 'histograms' in entry) {
    throw new Error('native histogram samples are not supported; query classic histogram buckets (`_bucket`) instead');
  }
}

/** Decodes the `data` member of a successful Prometheus answer into {@link PromResult}. */
export function decodePromResult(data: unknown): PromResult {
  if (typeof data !== 'object' || data === null) throw new Error('missing data');
  const { resultType, result } = data as { resultType?: unknown; result?: unknown };
  switch (resultType) {
    case 'vector': {
      if (!Array.isArray(result)) throw new Error('vector result is not a list');
      return {
        resultType,
        samples: result.map((entry: { metric?: unknown; value?: unknown }) => {
          rejectNativeHistogram(entry);
          return { metric: decodePromLabels(entry.metric), ...decodePoint(entry.value) };
        }),
      };
    }
    case 'matrix': {
      if (!Array.isArray(result)) throw new Error('matrix result is not a list');
      return {
        resultType,
        series: result.map((entry: { metric?: unknown; values?: unknown }) => {
          rejectNativeHistogram(entry);
          if (!Array.isArray(entry.values)) throw new Error('matrix series without values');
          return { metric: decodePromLabels(entry.metric), points: entry.values.map(decodePoint) };
        }),
      };
    }
    case 'scalar':
      return { resultType, ...decodePoint(result) };
    case 'string': {
      if (!Array.isArray(result) || typeof result[0] !== 'number' || typeof result[1] !== 'string') throw new Error('string result is not [time, "text"]');
      return { resultType, time: result[0], value: result[1] };
    }
    default:
      throw new Error(`unknown resultType ${JSON.stringify(resultType)}`);
  }
}

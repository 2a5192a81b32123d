import type { Ledger } from '../ledger/ledger';
import type { JsonValue, LedgerEntry, LedgerEntryInput, LedgerEvidence, LedgerTraffic } from '../ledger/types';
import type { ChangeEntry, ChangeLog, TrafficState } from './ports';

function finiteOrNull(value: number | undefined): number | null | undefined {
  if (value === undefined) return undefined;
  return Number.isFinite(value) ? value : null;
}

function ledgerTraffic(traffic: TrafficState | undefined, stage: string | undefined): LedgerTraffic | undefined {
  if (!traffic) return undefined;
  return { weights: { ...traffic.weights }, ...(traffic.mirror ? { mirror: { ...traffic.mirror } } : {}), ...(stage ? { stage } : {}) };
}

/** Maps the engine's change entries onto the hash-chained {@link Ledger}. */
export class LedgerChangeLog implements ChangeLog {
  private readonly listeners = new Set<(entry: LedgerEntry) => void>();

  constructor(private readonly ledger: Ledger) {}

  /**
   * Calls `listener` with each entry once it is on disk (notifications hang here: they fire
   * after the record, and a slow or broken listener never holds up the engine). Returns the
   * unsubscribe function.
   */
  onRecorded(listener: (entry: LedgerEntry) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async append(entry: ChangeEntry): Promise<void> {
    const written = await this.ledger.append(toLedgerEntry(entry));
    for (const listener of this.listeners) {
      try {
        listener(written);
      } catch {
        // A broken listener must not turn a recorded action into a ledger error.
      }
    }
  }
}

/** The ledger entry for one engine action (exported for the side panel's "what will be recorded"). */
export function toLedgerEntry(entry: ChangeEntry): LedgerEntryInput {
  const evidence: LedgerEvidence[] | undefined = entry.evidence?.map((measurement) => {
    const item: LedgerEvidence = { guardrail: measurement.guardrail, query: measurement.query };
    const value = finiteOrNull(measurement.value);
    item.value = measurement.noData ? null : (value ?? null);
    const baselineValue = finiteOrNull(measurement.baselineValue);
    if (baselineValue !== undefined) item.baselineValue = baselineValue;
    const { min, max, maxRatio } = measurement.bound;
    item.bound = { ...(min !== undefined ? { min } : {}), ...(max !== undefined ? { max } : {}), ...(maxRatio !== undefined ? { maxRatio } : {}) };
    if (measurement.outcome !== 'skipped') item.outcome = measurement.noData && measurement.outcome !== 'inconclusive' ? 'no-data' : measurement.outcome;
    return item;
  });
  const details: { [key: string]: JsonValue } = { outcome: entry.outcome };
  if (entry.stage) details.stage = entry.stage;
  if (entry.evidence?.length) {
    // What the ledger's evidence type has no field for: reasons, ratios, dryRun flags, minRatio.
    details.measurements = entry.evidence.map((measurement) => ({
      guardrail: measurement.guardrail,
      reason: measurement.reason,
      at: measurement.at,
      dryRun: measurement.dryRun,
      ...(measurement.ratio !== undefined ? { ratio: Number.isFinite(measurement.ratio) ? measurement.ratio : String(measurement.ratio) } : {}),
      ...(measurement.bound.minRatio !== undefined ? { minRatio: measurement.bound.minRatio } : {}),
      ...(measurement.baselineQuery ? { baselineQuery: measurement.baselineQuery } : {}),
      ...(measurement.error ? { error: measurement.error } : {}),
      // The ML kinds' numbers (distributions, test statistics, bins), as JSON the chain can hash.
      ...(measurement.kind && measurement.kind !== 'threshold' ? { kind: measurement.kind } : {}),
      ...(measurement.drift ? { drift: jsonSafe(measurement.drift) } : {}),
      ...(measurement.compare ? { compare: jsonSafe(measurement.compare) } : {}),
      ...(measurement.calibration ? { calibration: jsonSafe(measurement.calibration) } : {}),
    }));
  }
  if (entry.judgement) details.judgement = jsonSafe(entry.judgement);
  const from = ledgerTraffic(entry.from, entry.stage);
  const to = ledgerTraffic(entry.to, entry.stage);
  const { lineage } = entry;
  return {
    actor: entry.actor,
    action: entry.action,
    service: entry.service,
    ...(from ? { from } : {}),
    ...(to ? { to } : {}),
    ...(entry.reason ? { reason: entry.reason } : {}),
    ...(evidence ? { evidence } : {}),
    planDigest: entry.planDigest,
    lineage: {
      candidate: { ...lineage.candidate },
      baseline: { ...lineage.baseline },
      ...(lineage.data ? { data: lineage.data as { name: string; snapshot?: string; digest?: string }[] } : {}),
      ...(lineage.features ? { features: lineage.features as { name: string; version?: string }[] } : {}),
      ...(lineage.training ? { training: lineage.training as { run?: string; commit?: string } } : {}),
    },
    runId: entry.runId,
    details,
  };
}

/** Evidence as plain JSON: non-finite numbers (a NaN p-value, an infinite sample) become strings, as ratios do above. */
function jsonSafe(value: object): JsonValue {
  return JSON.parse(JSON.stringify(value, (_key, item: unknown) => (typeof item === 'number' && !Number.isFinite(item) ? String(item) : item))) as JsonValue;
}

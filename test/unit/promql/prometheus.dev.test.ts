// Rollgate's PromQL verdicts against the real Prometheus of `rollgate dev` (Debian's 2.42 here):
// every query Rollgate calls broken, Prometheus rejects; every query it accepts, Prometheus runs;
// and where Rollgate claims Prometheus's wording (and position), they are the same.
import { describe, expect, it } from 'vitest';
import { EndpointError } from '../../../src/core/endpoints/index';
import { analyzeQuery } from '../../../src/core/promql/guardrail';
import { useDevStack } from '../../support/devStack';
import { readMarkers } from '../plan/markers';
import { syntaxErrors, typeErrors, validQueries } from './corpus';

const getStack = useDevStack();

/** Prometheus's verdict: undefined when it ran the query, else its message and 0-based column. */
async function prometheusVerdict(query: string): Promise<{ message: string; column: number } | undefined> {
  try {
    await getStack().prometheus.query(query);
    return undefined;
  } catch (error) {
    if (!(error instanceof EndpointError) || error.kind !== 'prometheus' || error.code !== 'bad_data') throw error;
    const match = /(\d+):(\d+): parse error: ([\s\S]*?)\. Query: /.exec(error.message);
    if (!match) throw new Error(`unexpected Prometheus error: ${error.message}`);
    return { message: match[3]!, column: Number(match[2]) - 1 };
  }
}

describe('Rollgate and a real Prometheus agree on PromQL', () => {
  const broken = [...syntaxErrors, ...typeErrors].filter((entry) => entry.prometheus !== 'newer');
  it.each(broken.map((entry) => [entry.source, entry]))('%s is rejected by both', async (_, entry) => {
    const { text, spans } = readMarkers(entry.source);
    const ours = analyzeQuery(text).findings.find((finding) => finding.severity === 'error');
    expect(ours?.message).toBe(entry.message);
    const theirs = await prometheusVerdict(text);
    expect(theirs, `Prometheus ran ${JSON.stringify(text)}`).toBeDefined();
    if (entry.prometheus === 'same') expect(theirs!.message).toBe(entry.message);
    if (entry.samePosition) expect(theirs!.column).toBe(spans[0]!.start);
  });

  it.each(validQueries.filter((entry) => !entry.newer).map((entry) => entry.query))('%s is accepted by both', async (query) => {
    expect(analyzeQuery(query).findings).toEqual([]);
    expect(await prometheusVerdict(query)).toBeUndefined();
  });
});

// Completion, hover metadata and the preflight against the real Prometheus of `rollgate dev`;
// a Prometheus that refuses connections or never answers leaves the static proposals, quickly.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliIo } from '../../../src/cli/io';
import { main } from '../../../src/cli/main';
import { PrometheusCatalog, PrometheusClient } from '../../../src/core/endpoints/index';
import { preflightDiagnostics, preflightGuardrails } from '../../../src/core/guardrails/preflight';
import { completePlanQuery } from '../../../src/core/plan/queryCompletion';
import { validatePlan } from '../../../src/core/plan/validate';
import { completePromql } from '../../../src/core/promql/complete';
import { freePort } from '../../../src/dev/index';
import { eventually, useDevStack } from '../../support/devStack';
import { devPlan } from '../rollout/devPlan';

const getStack = useDevStack();
const catalog = () => PrometheusCatalog.connect(getStack().stack.prometheusUrl!);

beforeAll(async () => {
  // The first scrapes: the simulator's series exist once Prometheus has read them.
  const names = await eventually(
    async () => {
      const found: string[] = await catalog()
        .metricNames()
        .catch(() => []);
      return found.includes('rollgate_dev_requests_total') ? found : undefined;
    },
    30_000,
    'the first scrape of rollgate dev',
  );
  expect(names.length).toBeGreaterThan(1);
});

/** The query with `|` marking the cursor. */
const at = (marked: string) => ({ query: marked.replace('|', ''), offset: marked.indexOf('|') });

describe('the catalog of a live Prometheus', () => {
  it('lists metric names, label names and values narrowed with match[], and metadata', async () => {
    const live = catalog();
    expect(await live.metricNames()).toEqual(expect.arrayContaining(['rollgate_dev_requests_total', 'rollgate_dev_request_duration_seconds_bucket', 'up']));
    expect(await live.labelNames('rollgate_dev_requests_total')).toEqual(expect.arrayContaining(['__name__', 'code', 'version', 'job']));
    expect(await live.labelNames('rollgate_dev_requests_total')).not.toContain('le');
    const versions = await eventually(
      async () => {
        const values = await live.labelValues('version', 'rollgate_dev_requests_total');
        return values.includes('41') ? values : undefined;
      },
      20_000,
      'the baseline version label',
    );
    expect(versions).toContain('41');
    const metadata = await live.metadata('rollgate_dev_requests_total');
    expect(metadata?.type).toBe('counter');
    expect(metadata?.help.length).toBeGreaterThan(5);
    expect(await live.metadata('no_such_metric_at_all')).toBeUndefined();
    // A histogram's series are described by their family.
    expect(await live.metadata('rollgate_dev_request_duration_seconds_bucket')).toMatchObject({ type: 'histogram', family: 'rollgate_dev_request_duration_seconds' });
  });
});

describe('completion from the live Prometheus', () => {
  it('completes metric names at an expression, alongside the functions', async () => {
    const { query, offset } = at('sum(rate(rollgate_dev_req|');
    const items = await completePromql(query, offset, { catalog: catalog(), liveTimeoutMs: 5000 });
    const metric = items.find((item) => item.label === 'rollgate_dev_requests_total');
    expect(metric).toMatchObject({ kind: 'metric', start: 9, end: 25 });
    expect(items.find((item) => item.label === 'rate')).toMatchObject({ kind: 'function', insertText: 'rate(' });
  });

  it('completes the label names of the metric being selected, minus those already used', async () => {
    const { query, offset } = at('rollgate_dev_requests_total{code="200", |}');
    const labels = (await completePromql(query, offset, { catalog: catalog(), liveTimeoutMs: 5000 })).map((item) => item.label);
    expect(labels).toContain('version');
    expect(labels).not.toContain('code');
    expect(labels).not.toContain('le');
  });

  it('completes label values, quoting them only where no quote is open', async () => {
    const inside = at('rollgate_dev_requests_total{version="|"}');
    const values = await completePromql(inside.query, inside.offset, { catalog: catalog(), liveTimeoutMs: 5000 });
    expect(values.find((item) => item.label === '41')).toMatchObject({ kind: 'value', insertText: '41', start: 37, end: 37 });
    const bare = at('rollgate_dev_requests_total{version=|}');
    expect((await completePromql(bare.query, bare.offset, { catalog: catalog(), liveTimeoutMs: 5000 })).find((item) => item.label === '41')?.insertText).toBe('"41"');
  });

  it('completes grouping labels of the metric aggregated', async () => {
    const { query, offset } = at('sum by (|) (rate(rollgate_dev_requests_total[1m]))');
    const labels = (await completePromql(query, offset, { catalog: catalog(), liveTimeoutMs: 5000 })).map((item) => item.label);
    expect(labels).toEqual(expect.arrayContaining(['code', 'version']));
  });
});

describe('a dead or silent Prometheus never holds completion up', () => {
  let silent: Server;
  const sockets: Socket[] = [];
  let silentPort: number;
  beforeAll(async () => {
    // Accepts connections and never answers.
    silent = createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    silentPort = (silent.address() as { port: number }).port;
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
  });

  it('answers with the static list when the port refuses connections', async () => {
    const dead = PrometheusCatalog.connect(`http://127.0.0.1:${await freePort()}`);
    const { query, offset } = at('sum(ra|');
    const items = await completePromql(query, offset, { catalog: dead });
    expect(items.some((item) => item.label === 'rate')).toBe(true);
    expect(items.some((item) => item.kind === 'metric')).toBe(false);
  });

  it('answers with the static list while a request to a Prometheus that never answers is still pending', async () => {
    const hanging = PrometheusCatalog.connect(`http://127.0.0.1:${silentPort}`, undefined, { timeoutMs: 20_000 });
    let settled = false;
    // The same request completion will wait on (the catalog shares one in-flight request per question).
    hanging.metricNames().then(
      () => (settled = true),
      () => (settled = true),
    );
    const { query, offset } = at('sum(ra|');
    const items = await completePromql(query, offset, { catalog: hanging, liveTimeoutMs: 300 });
    expect(items.some((item) => item.label === 'rate')).toBe(true);
    expect(items.some((item) => item.kind === 'metric')).toBe(false);
    expect(settled).toBe(false);
  });
});

describe('preflight: each guardrail query once, for the baseline', () => {
  const planText = () =>
    devPlan({
      deploymentUrl: getStack().stack.deploymentUrl,
      prometheusUrl: getStack().stack.prometheusUrl!,
      extraGuardrails: [
        '  - name: per-code',
        '    query: sum by (code) (rate(rollgate_dev_requests_total{version="{{version}}"}[1m]))',
        '    max: 1000',
        '  - name: missing',
        '    query: sum(rate(no_such_metric{version="{{version}}"}[1m]))',
        '    max: 1',
        '    onNoData: fail',
        '  - name: experimental',
        // Parses with today's grammar (a warning only), but this Prometheus (2.42) does not have it.
        '    query: sum(mad_over_time(rollgate_dev_requests_total{version="{{version}}"}[1m]))',
        '    max: 1',
        '  - name: short-window',
        '    query: sum(rate(rollgate_dev_requests_total{version="{{version}}"}[1s]))',
        '    max: 1000',
        '    dryRun: true',
        // Drift reads one series per bucket: several are what it needs, not a finding.
        '  - name: score-drift',
        '    kind: drift',
        '    histogram: rollgate_dev_prediction_score',
        `    selector: '{version="{{version}}"}'`,
        '    window: 1m',
        '  - name: drift-short',
        '    kind: drift',
        '    histogram: rollgate_dev_prediction_score',
        '    window: 1s',
        '  - name: drift-missing',
        '    kind: drift',
        '    histogram: no_such_histogram',
      ],
    });

  it('reports a number, several series, no data, Prometheus’s refusal and a too-short window, at each query', async () => {
    const text = planText();
    const { plan } = validatePlan(text);
    expect(plan).toBeDefined();
    const client = new PrometheusClient({ baseUrl: getStack().stack.prometheusUrl! });
    const results = await eventually(
      async () => {
        const found = await preflightGuardrails(plan!, client);
        return found.find((result) => result.guardrail === 'error-rate')?.outcome === 'ok' ? found : undefined;
      },
      30_000,
      'baseline traffic in the error-rate window',
    );
    const byName = (name: string, outcome: string) => results.find((result) => result.guardrail === name && result.outcome === outcome);
    expect(byName('error-rate', 'ok')).toMatchObject({ severity: 'info', query: expect.stringContaining('version="41"') });
    expect(byName('per-code', 'many-series')).toMatchObject({ severity: 'error' });
    expect(byName('per-code', 'many-series')!.series).toBeGreaterThan(1);
    expect(byName('missing', 'no-data')).toMatchObject({ severity: 'error' });
    expect(byName('experimental', 'error')!.message).toContain('unknown function with name "mad_over_time"');
    // A dry-run guardrail never decides: its findings are warnings.
    expect(byName('short-window', 'short-window')).toMatchObject({ severity: 'warning' });
    // Drift: the bucket query as the rollout sends it, for the baseline; no data where nothing is observed.
    expect(byName('score-drift', 'ok')).toMatchObject({ severity: 'info', field: 'histogram', query: 'sum by (le) (increase(rollgate_dev_prediction_score_bucket{version="41"}[1m]))' });
    expect(byName('score-drift', 'ok')!.series).toBeGreaterThan(1);
    expect(byName('drift-short', 'short-window')).toMatchObject({ severity: 'warning', field: 'window' });
    expect(byName('drift-missing', 'no-data')).toMatchObject({ severity: 'warning', field: 'histogram' });
    const diagnostics = preflightDiagnostics(results, text);
    const driftWindow = diagnostics.find((diagnostic) => diagnostic.code === 'preflight/short-window' && diagnostic.message.includes('drift'))!;
    expect(text.slice(driftWindow.start, driftWindow.end)).toBe('1s');
    const missingHistogram = diagnostics.find((diagnostic) => diagnostic.code === 'preflight/no-data' && diagnostic.message.includes('drift-missing'))!;
    expect(text.slice(missingHistogram.start, missingHistogram.end)).toBe('no_such_histogram');
    const window = diagnostics.find((diagnostic) => diagnostic.code === 'preflight/short-window' && diagnostic.message.startsWith('rate'))!;
    expect(text.slice(window.start, window.end)).toBe('1s');
    const many = diagnostics.find((diagnostic) => diagnostic.code === 'preflight/many-series')!;
    expect(text.slice(many.start, many.end)).toBe('sum by (code) (rate(rollgate_dev_requests_total{version="{{version}}"}[1m]))');
  });

  it('says every guardrail went unchecked when Prometheus cannot be reached', async () => {
    const { plan } = validatePlan(planText());
    const results = await preflightGuardrails(plan!, new PrometheusClient({ baseUrl: `http://127.0.0.1:${await freePort()}`, retries: 0 }));
    expect(results.length).toBe(plan!.guardrails.length);
    expect(results.every((result) => result.outcome === 'error')).toBe(true);
    expect(results[1]!.message).toContain('was not checked');
  });

  it('`rollgate validate --preflight` exits 1 on a failing guardrail, 0 on a good plan, 2 without the token secret', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'rollgate-preflight-'));
    const run = async (args: string[], env: Record<string, string> = {}) => {
      let stdout = '';
      let stderr = '';
      const io: CliIo = { stdout: (text) => void (stdout += text), stderr: (text) => void (stderr += text), cwd: folder, env };
      return { code: await main(args, io), stdout, stderr };
    };
    writeFileSync(join(folder, 'bad.rollout.yaml'), planText());
    const good = devPlan({ deploymentUrl: getStack().stack.deploymentUrl, prometheusUrl: getStack().stack.prometheusUrl! });
    writeFileSync(join(folder, 'good.rollout.yaml'), good);
    const bad = await run(['validate', '--preflight', 'bad.rollout.yaml']);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/bad\.rollout\.yaml:\d+:\d+: error preflight\/many-series: Guardrail 'per-code' returned \d+ series/);
    const ok = await eventually(
      async () => {
        const result = await run(['validate', '--preflight', 'good.rollout.yaml']);
        return result.code === 0 ? result : undefined;
      },
      30_000,
      'a clean preflight of the good plan',
    );
    expect(ok.stdout).toMatch(/info preflight\/ok: Guardrail 'error-rate' returned [\d.e-]+ for baseline 41/);
    // Without --preflight nothing is sent: the same plan validates offline.
    expect((await run(['validate', 'bad.rollout.yaml'])).code).toBe(0);
    writeFileSync(join(folder, 'secret.rollout.yaml'), good.replace(/metrics: \{ url: "([^"]+)" \}/, 'metrics: { url: "$1", token: { secret: metrics-token } }'));
    const missing = await run(['validate', '--preflight', 'secret.rollout.yaml']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('ROLLGATE_SECRET_METRICS_TOKEN');
  });
});

describe('completion in a plan’s guardrail query from its live Prometheus', () => {
  it('inserts a label value escaped for the double-quoted YAML string it goes into', async () => {
    const marked = `endpoints:\n  metrics: { url: "${getStack().stack.prometheusUrl}" }\nguardrails:\n  - name: g\n    query: "sum(rate(rollgate_dev_requests_total{version=|}[1m]))"\n`;
    const text = marked.replace('|', '');
    const items = await completePlanQuery(text, marked.indexOf('|'), { catalog: catalog(), liveTimeoutMs: 5000 });
    expect(items.find((item) => item.label === '41')?.insertText).toBe('\\"41\\"');
  });
});

describe('the catalog’s cache', () => {
  it('reuses an answer for its time to live, then asks again; remembers a failure for a shorter while', async () => {
    let now = 1_000_000;
    const live = PrometheusCatalog.connect(getStack().stack.prometheusUrl!, undefined, { ttlMs: 60_000, failureTtlMs: 15_000, now: () => now });
    const first = live.labelNames();
    expect(live.labelNames()).toBe(first);
    await first;
    now += 59_000;
    expect(live.labelNames()).toBe(first);
    now += 2_000;
    const second = live.labelNames();
    expect(second).not.toBe(first);
    expect(await second).toEqual(await first);

    const dead = PrometheusCatalog.connect(`http://127.0.0.1:${await freePort()}`, undefined, { failureTtlMs: 15_000, now: () => now });
    const failed = dead.labelNames();
    await expect(failed).rejects.toThrow();
    now += 10_000;
    expect(dead.labelNames()).toBe(failed);
    now += 6_000;
    const retried = dead.labelNames();
    expect(retried).not.toBe(failed);
    await expect(retried).rejects.toThrow();
  });
});

// What a Prometheus knows about its series, for completion and hover while a query is typed:
// metric names, label names and values (narrowed with `match[]`), and metric metadata. Every answer
// is cached for a while, every request is short and never retried, and a failure is remembered
// briefly, so typing against a dead or slow Prometheus costs nothing after the first miss.
import type { EndpointRequest } from './http';
import { PrometheusClient } from './prometheus';

export interface MetricMetadata {
  /** counter, gauge, histogram, summary, info, stateset, unknown. */
  type: string;
  help: string;
  unit: string;
  /** Set when the metric is a series of this family (a histogram's `_bucket`, ...). */
  family?: string;
}

export interface PrometheusCatalogOptions {
  /** How long an answer is reused. Default 60 s. */
  ttlMs?: number;
  /** How long a failure is remembered before asking again. Default 15 s. */
  failureTtlMs?: number;
  /** Time allowed for one request. Default 2 s: completion must not wait long. */
  timeoutMs?: number;
  /** At most this many names or values are kept from one answer. Default 20,000. */
  maxItems?: number;
  now?: () => number;
}

interface Entry<T> {
  at: number;
  value: Promise<T>;
  failed: boolean;
}

/** A Prometheus's series catalog, cached. Methods reject with the client's EndpointError on failure. */
export class PrometheusCatalog {
  private readonly entries = new Map<string, Entry<unknown>>();
  private readonly ttlMs: number;
  private readonly failureTtlMs: number;
  private readonly timeoutMs: number;
  private readonly maxItems: number;
  private readonly now: () => number;

  constructor(
    private readonly client: PrometheusClient,
    options: PrometheusCatalogOptions = {},
  ) {
    this.ttlMs = options.ttlMs ?? 60_000;
    this.failureTtlMs = options.failureTtlMs ?? 15_000;
    this.timeoutMs = options.timeoutMs ?? 2000;
    this.maxItems = options.maxItems ?? 20_000;
    this.now = options.now ?? Date.now;
  }

  /** A catalog over a new client for `baseUrl` that never retries: a miss must not hold up typing. */
  static connect(baseUrl: string, token?: string, options: PrometheusCatalogOptions = {}): PrometheusCatalog {
    const client = new PrometheusClient({ baseUrl, ...(token ? { token } : {}), retries: 0, timeoutMs: options.timeoutMs ?? 2000 });
    return new PrometheusCatalog(client, options);
  }

  get baseUrl(): string {
    return this.client.baseUrl;
  }

  /** Metric names (`/api/v1/label/__name__/values`), optionally of the series `match` selects. */
  metricNames(match?: string): Promise<string[]> {
    return this.labelValues('__name__', match);
  }

  /** Label names (`/api/v1/labels`), optionally of the series `match` selects. */
  labelNames(match?: string): Promise<string[]> {
    return this.cached(`labels\0${match ?? ''}`, () => this.strings('/api/v1/labels', match));
  }

  /** Values of one label (`/api/v1/label/<name>/values`), optionally of the series `match` selects. */
  labelValues(label: string, match?: string): Promise<string[]> {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(label)) return Promise.resolve([]);
    return this.cached(`values\0${label}\0${match ?? ''}`, () => this.strings(`/api/v1/label/${label}/values`, match));
  }

  /**
   * Type, help and unit of a metric (`/api/v1/metadata?metric=`); undefined when Prometheus has
   * none. A histogram's or summary's series (`x_bucket`, `x_sum`, `x_count`) are described by their
   * family `x`, named in `family`.
   */
  metadata(metric: string): Promise<MetricMetadata | undefined> {
    return this.cached(`metadata\0${metric}`, async () => {
      const own = await this.familyMetadata(metric);
      if (own) return own;
      const family = /^(.+)_(?:bucket|sum|count|created)$/.exec(metric)?.[1];
      const parent = family ? await this.familyMetadata(family) : undefined;
      return parent && family ? { ...parent, family } : undefined;
    });
  }

  private async familyMetadata(metric: string): Promise<MetricMetadata | undefined> {
    const data = await this.data('/api/v1/metadata', { metric });
    const entries = (data as Record<string, unknown> | null)?.[metric];
    if (!Array.isArray(entries) || entries.length === 0) return undefined;
    const first = entries[0] as { type?: unknown; help?: unknown; unit?: unknown };
    return { type: String(first.type ?? 'unknown'), help: String(first.help ?? ''), unit: String(first.unit ?? '') };
  }

  private cached<T>(key: string, load: () => Promise<T>): Promise<T> {
    const now = this.now();
    const entry = this.entries.get(key) as Entry<T> | undefined;
    if (entry && now - entry.at < (entry.failed ? this.failureTtlMs : this.ttlMs)) return entry.value;
    const fresh: Entry<T> = { at: now, value: load(), failed: false };
    fresh.value.catch(() => {
      fresh.failed = true;
    });
    // Bounded: typing a long query visits many prefixes and selectors.
    if (this.entries.size > 500) this.entries.clear();
    this.entries.set(key, fresh);
    return fresh.value;
  }

  private async strings(path: string, match: string | undefined): Promise<string[]> {
    const data = await this.data(path, match ? { 'match[]': match } : {});
    if (!Array.isArray(data)) return [];
    return data.slice(0, this.maxItems).map(String);
  }

  private async data(path: string, query: Record<string, string>): Promise<unknown> {
    const request: EndpointRequest = {
      method: 'GET',
      path,
      query,
      timeoutMs: this.timeoutMs,
      acceptStatus: (status) => status === 400 || status === 422 || status === 503,
    };
    const http = this.client.http;
    const response = await http.send(request);
    const body = response.body as { status?: unknown; data?: unknown; error?: unknown } | undefined;
    if (body?.status !== 'success') {
      throw http.fail(request, response.url, response.attempts, {
        kind: body?.status === 'error' ? 'prometheus' : 'malformed',
        message: `${http.describe()} did not answer ${path}: ${typeof body?.error === 'string' ? body.error : `status ${response.status}`}.`,
        status: response.status,
      });
    }
    return body.data;
  }
}

import { z } from 'zod';

import { EndpointHttpClient, type EndpointClientOptions, type EndpointRequest } from './http';

/** Phase of a service as the deployment endpoint reports it. */
export type ServicePhase = 'stable' | 'progressing' | 'paused' | 'rolled-back';

/** One registered model version of a service. */
export interface ServiceVersion {
  version: string;
  artifact: string;
  digest: string;
  /** Percent of live traffic answered by this version; the weights of a service sum to 100. */
  weight: number;
  /** Percent of traffic copied to this version in shadow; its answers are discarded. */
  mirror: number;
}

/** `GET /v1/services/{service}`: the state of one service. */
export interface ServiceState {
  service: string;
  /** The version considered known-good; a rollback makes its target stable. */
  stable: string;
  phase: ServicePhase;
  versions: ServiceVersion[];
  /** ISO 8601 time of the last change. */
  updatedAt: string;
}

/** Traffic weights (or mirror percentages) by version. */
export type TrafficWeights = Record<string, number>;

/** A version to register (at weight 0) with `POST /v1/services/{service}/versions`. */
export interface VersionRegistration {
  version: string;
  artifact: string;
  digest: string;
}

/** Per-call options of the deployment client. */
export interface DeploymentCallOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
}

/** Per-call options of a mutating call. */
export interface DeploymentMutationOptions extends DeploymentCallOptions {
  /**
   * Sent as `Idempotency-Key`: a repeat with the same key returns the first result and changes
   * nothing, which is also what makes a POST safe to retry. Derive it from the action being
   * recorded (for example the ledger entry) so that a retried action reuses it.
   */
  idempotencyKey?: string;
}

export const serviceStateSchema = z.object({
  service: z.string(),
  stable: z.string(),
  phase: z.enum(['stable', 'progressing', 'paused', 'rolled-back']),
  versions: z.array(
    z.object({
      version: z.string(),
      artifact: z.string(),
      digest: z.string(),
      weight: z.number(),
      mirror: z.number(),
    }),
  ),
  updatedAt: z.string(),
});

export interface DeploymentClientOptions extends EndpointClientOptions {
  /** The service this client manages, e.g. `churn-scorer` (the plan's `metadata.service`). */
  service: string;
}

/**
 * Client for Rollgate's deployment contract (`docs/deployment-api.yaml`), bound to one service.
 * Every method throws {@link EndpointError} with `endpoint: 'deployment'` on failure.
 */
export class DeploymentClient {
  readonly service: string;
  readonly http: EndpointHttpClient;

  constructor(options: DeploymentClientOptions) {
    this.service = options.service;
    this.http = new EndpointHttpClient('deployment', options);
  }

  get baseUrl(): string {
    return this.http.baseUrl;
  }

  /** `GET /v1/services/{service}`: versions, weights, mirror, stable version and phase. */
  getService(options: DeploymentCallOptions = {}): Promise<ServiceState> {
    return this.#call({ method: 'GET', path: this.#servicePath(''), ...options });
  }

  /**
   * `PUT /v1/services/{service}/traffic`: sets the live traffic weights (which must sum to 100;
   * versions left out get 0) and, when given, the mirror percentages (versions left out get 0).
   */
  setTraffic(weights: TrafficWeights, mirror?: TrafficWeights, options: DeploymentMutationOptions = {}): Promise<ServiceState> {
    return this.#call({ method: 'PUT', path: this.#servicePath('/traffic'), json: mirror === undefined ? { weights } : { weights, mirror }, ...options });
  }

  /** `POST /v1/services/{service}/rollback`: `to` takes all traffic, becomes stable; phase `rolled-back`. */
  rollback(to: string, reason: string, options: DeploymentMutationOptions = {}): Promise<ServiceState> {
    return this.#call({ method: 'POST', path: this.#servicePath('/rollback'), json: { to, reason }, ...options });
  }

  /** `POST /v1/services/{service}/versions`: registers a version at weight 0. */
  registerVersion(registration: VersionRegistration, options: DeploymentMutationOptions = {}): Promise<ServiceState> {
    return this.#call({ method: 'POST', path: this.#servicePath('/versions'), json: registration, ...options });
  }

  /** `POST /v1/services/{service}/pause`: phase `paused`; traffic changes are refused (409) until resumed. */
  pause(reason: string, options: DeploymentMutationOptions = {}): Promise<ServiceState> {
    return this.#call({ method: 'POST', path: this.#servicePath('/pause'), json: { reason }, ...options });
  }

  /** `POST /v1/services/{service}/resume`: leaves `paused`; rollbacks work in any phase. */
  resume(options: DeploymentMutationOptions = {}): Promise<ServiceState> {
    return this.#call({ method: 'POST', path: this.#servicePath('/resume'), json: {}, ...options });
  }

  #servicePath(suffix: string): string {
    return `/v1/services/${encodeURIComponent(this.service)}${suffix}`;
  }

  async #call(request: EndpointRequest): Promise<ServiceState> {
    const response = await this.http.send(request);
    const parsed = serviceStateSchema.safeParse(response.body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue && issue.path.length > 0 ? ` at ${issue.path.join('.')}` : '';
      throw this.http.fail(request, response.url, response.attempts, {
        kind: 'malformed',
        status: response.status,
        message: `${this.http.describe()} answered ${response.status} with a body that is not a service state${where}${issue ? `: ${issue.message}` : ''} (${request.method} ${request.path}). Is ${this.http.baseUrl} really a Rollgate deployment endpoint (see docs/deployment-api.yaml)?`,
      });
    }
    return parsed.data;
  }
}

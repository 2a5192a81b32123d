import type { ServicePhase, ServiceState, ServiceVersion, VersionRegistration } from '../core/endpoints/index';

/** An answer of the dev deployment API: status and JSON body. */
export interface ApiResult {
  status: number;
  body: unknown;
}

/** The contract's error body: `{"error":{"code","message"}}`. */
export function apiError(status: number, code: string, message: string): ApiResult {
  return { status, body: { error: { code, message } } };
}

const digestPattern = /^sha256:[0-9a-f]{64}$/;

/**
 * In-memory state of one simulated service behind the deployment contract
 * (docs/deployment-api.yaml). Every operation validates its request body and answers with the
 * new state or a contract error; nothing throws on client input.
 */
export class DevDeployment {
  readonly service: string;
  #stable: string;
  #phase: ServicePhase = 'stable';
  #versions: ServiceVersion[];
  #updatedAt: Date;
  readonly #now: () => Date;
  readonly #listeners = new Set<(state: ServiceState) => void>();

  constructor(service: string, versions: Array<VersionRegistration & { weight: number }>, now: () => Date = () => new Date()) {
    const stable = versions.find((version) => version.weight === 100);
    if (!stable) throw new Error('one version must start with weight 100');
    this.service = service;
    this.#stable = stable.version;
    this.#versions = versions.map((version) => ({ ...version, mirror: 0 }));
    this.#now = now;
    this.#updatedAt = now();
  }

  /** A copy of the current state, as `GET /v1/services/{service}` answers it. */
  snapshot(): ServiceState {
    return {
      service: this.service,
      stable: this.#stable,
      phase: this.#phase,
      versions: this.#versions.map((version) => ({ ...version })),
      updatedAt: this.#updatedAt.toISOString(),
    };
  }

  /** Registered version names, in registration order. */
  versionNames(): string[] {
    return this.#versions.map((version) => version.version);
  }

  /** Called after every change (the router reads weights on each request; this is for observers). */
  onChange(listener: (state: ServiceState) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** `PUT /traffic`: `{"weights":{...},"mirror":{...}}`. */
  setTraffic(body: unknown): ApiResult {
    if (!isObject(body) || !isObject(body.weights)) {
      return apiError(422, 'invalid_request', 'expected a JSON object {"weights":{"<version>":<percent>,...},"mirror":{...}} with weights summing to 100');
    }
    const weights = this.#readPercentages(body.weights, 'weights');
    if ('status' in weights) return weights;
    const total = Object.values(weights.values).reduce((sum, weight) => sum + weight, 0);
    if (Math.abs(total - 100) > 1e-6) {
      return apiError(422, 'weights_do_not_sum_to_100', `traffic weights must sum to 100, these sum to ${round(total)}`);
    }
    let mirror: Record<string, number> | undefined;
    if (body.mirror !== undefined) {
      if (!isObject(body.mirror)) return apiError(422, 'invalid_request', '"mirror" must be an object {"<version>":<percent>}');
      const read = this.#readPercentages(body.mirror, 'mirror');
      if ('status' in read) return read;
      mirror = read.values;
    }
    if (this.#phase === 'paused') {
      return apiError(409, 'service_paused', `${this.service} is paused; resume it (POST /v1/services/${this.service}/resume) before changing traffic, or roll back`);
    }
    for (const version of this.#versions) {
      version.weight = weights.values[version.version] ?? 0;
      if (mirror) version.mirror = mirror[version.version] ?? 0;
    }
    this.#phase = this.#settledPhase();
    return this.#changed();
  }

  /** `POST /rollback`: `{"to":"41","reason":"..."}`; the target takes all traffic and becomes stable. */
  rollback(body: unknown): ApiResult {
    if (!isObject(body) || typeof body.to !== 'string' || typeof body.reason !== 'string' || body.reason.trim() === '') {
      return apiError(422, 'invalid_request', 'expected a JSON object {"to":"<version>","reason":"<why>"} with a non-empty reason');
    }
    const target = body.to;
    if (!this.#versions.some((version) => version.version === target)) {
      return apiError(422, 'unknown_version', `cannot roll back to version "${target}": it is not registered for ${this.service} (registered: ${this.versionNames().join(', ')})`);
    }
    for (const version of this.#versions) {
      version.weight = version.version === target ? 100 : 0;
      version.mirror = 0;
    }
    this.#stable = target;
    this.#phase = 'rolled-back';
    return this.#changed();
  }

  /** `POST /versions`: `{"version","artifact","digest"}` registers a version at weight 0. */
  registerVersion(body: unknown): ApiResult {
    if (!isObject(body) || !nonEmptyString(body.version) || !nonEmptyString(body.artifact) || !nonEmptyString(body.digest)) {
      return apiError(422, 'invalid_request', 'expected a JSON object {"version","artifact","digest"} of non-empty strings');
    }
    if (!digestPattern.test(body.digest)) {
      return apiError(422, 'invalid_digest', `digest "${body.digest}" is not "sha256:" followed by 64 lowercase hex digits`);
    }
    const existing = this.#versions.find((version) => version.version === body.version);
    if (existing) {
      if (existing.artifact === body.artifact && existing.digest === body.digest) return { status: 200, body: this.snapshot() };
      return apiError(409, 'version_exists', `version "${body.version}" is already registered for ${this.service} with a different artifact or digest`);
    }
    this.#versions.push({ version: body.version, artifact: body.artifact, digest: body.digest, weight: 0, mirror: 0 });
    const result = this.#changed();
    return { ...result, status: 201 };
  }

  /** `POST /pause`: `{"reason"}`; traffic changes are refused until resumed. */
  pause(body: unknown): ApiResult {
    if (!isObject(body) || (body.reason !== undefined && typeof body.reason !== 'string')) {
      return apiError(422, 'invalid_request', 'expected a JSON object {"reason":"<why>"}');
    }
    this.#phase = 'paused';
    return this.#changed();
  }

  /** `POST /resume`: leaves `paused`. */
  resume(): ApiResult {
    if (this.#phase !== 'paused') return apiError(409, 'not_paused', `${this.service} is not paused (phase ${this.#phase})`);
    this.#phase = this.#settledPhase();
    return this.#changed();
  }

  /** A single version at 100 with nothing mirrored is a settled, stable service; anything else is a rollout in progress. */
  #settledPhase(): ServicePhase {
    const full = this.#versions.find((version) => version.weight === 100);
    if (full && this.#versions.every((version) => version.mirror === 0)) {
      this.#stable = full.version;
      return 'stable';
    }
    return 'progressing';
  }

  #readPercentages(raw: Record<string, unknown>, field: string): { values: Record<string, number> } | ApiResult {
    const values: Record<string, number> = {};
    for (const [version, value] of Object.entries(raw)) {
      if (!this.#versions.some((known) => known.version === version)) {
        return apiError(
          422,
          'unknown_version',
          `${field} name version "${version}", which is not registered for ${this.service} (registered: ${this.versionNames().join(', ')}); register it with POST /v1/services/${this.service}/versions first`,
        );
      }
      if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 100) {
        return apiError(422, 'invalid_percentage', `${field}["${version}"] must be a number from 0 to 100, got ${JSON.stringify(value)}`);
      }
      values[version] = value;
    }
    return { values };
  }

  #changed(): ApiResult {
    this.#updatedAt = this.#now();
    const state = this.snapshot();
    for (const listener of this.#listeners) listener(state);
    return { status: 200, body: state };
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function nonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.trim() !== '';
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}

import { randomUUID } from 'node:crypto';

import type { Diagnostic } from '../diagnostics';
import type { Plan } from '../plan/schema';
import { secretEnvironmentVariable } from '../secrets';
import { prepareCheckCell } from './check';
import { isMutatingMethod, parseHttpCell, prepareHttpCell } from './http';
import type { BodyFiles } from './httpBody';
import { type CellPorts, type PrepareContext, type PrepareResult, type PreparedCell, error } from './prepared';
import { planDeploymentActions, planFlagActions, planMetricQuery } from './ports';
import { preparePromqlCell } from './promql';
import { Redactor } from './redact';
import { isMutatingRolloutAction, parseRolloutCell, prepareRolloutCell } from './rollout';
import {
  cellKindOf,
  type CellOutcome,
  type CellRunRecord,
  type CellRunResult,
  type CellSpec,
  type ConfirmationRequest,
  type Confirmer,
  type RequestSummary,
  type RunLedger,
  type SecretResolver,
  type TargetDescription,
} from './types';
import { buildVariableScope } from './variables';
import { errorMessage } from '../errors';
import { planLineage } from '../rollout/planFacts';
import { changeSummary, httpDeploymentChange, serviceTraffic } from './deploymentChange';
import type { DeploymentChange, ServiceTraffic } from './types';

/**
 * True when running the cell may change something: `effect: mutate`, every http method but
 * GET/HEAD/OPTIONS, and every rollout action but `status`. Decided from the text alone (no
 * variables needed), so the editor can mark cells before they run. Unparsable cells count as
 * mutating: when in doubt, ask.
 */
export function isMutating(cell: CellSpec): boolean {
  if (cell.attributes.effect === 'mutate') return true;
  switch (cellKindOf(cell.language)) {
    case 'http': {
      const parsed = parseHttpCell(cell.value);
      return parsed.value ? isMutatingMethod(parsed.value.method) || parsed.value.note : true;
    }
    case 'rollout': {
      const parsed = parseRolloutCell(cell.value);
      return parsed.value ? isMutatingRolloutAction(parsed.value) : true;
    }
    case 'promql':
    case 'check':
      return false;
    default:
      return false;
  }
}

/** One line for a confirmation dialog: `PUT http://…/traffic: set churn-scorer traffic… [prod]`. */
export function describeTarget(target: TargetDescription): string {
  const environment = target.environment ? ` [environment: ${target.environment}]` : '';
  return `${target.method} ${target.url}\n${target.target}${environment}`;
}

/** True for environment names that demand the typed service name before a change. */
export function isProductionEnvironment(environment: string | undefined): boolean {
  return environment !== undefined && /^(prod|production)$/i.test(environment.trim());
}

export class MissingSecretError extends Error {
  constructor(
    readonly secretName: string,
    hint: string,
  ) {
    super(`Secret "${secretName}" is not set. ${hint}`);
    this.name = 'MissingSecretError';
  }
}

export interface RunbookSessionOptions {
  /** The runbook's front matter. */
  frontMatter?: Record<string, unknown>;
  /** The linked plan, validated. */
  plan?: Plan;
  /** The selected environment: `--env`, else the front matter's, else the plan's. */
  environment?: string;
  /** Path of the runbook, for the ledger: relative to the record root, so the CLI and the editor name it alike. */
  runbook?: string;
  /** Where http cells read `< ./file` bodies: the runbook's folder, confined to the workspace root. */
  files?: BodyFiles;
  /** `planDigest()` of the linked plan's text, recorded with the deployment changes cells make. */
  planDigest?: string;
  /**
   * The endpoints. Without `metrics`/`deployment`, and with a plan, they are built from the
   * plan's endpoints (tokens resolved through `secrets` at send time).
   */
  ports: Partial<CellPorts> & Pick<CellPorts, 'http'>;
  secrets: SecretResolver;
  /** Tells the user where to set a missing secret (differs between the editor and the CLI). */
  missingSecretHint?: (name: string) => string;
  ledger?: RunLedger;
  actor: string;
  now?: () => number;
}

export interface RunCellOptions {
  index?: number;
  signal?: AbortSignal;
  /** Resolve and show the request, send nothing, record nothing. */
  dryRun?: boolean;
  /** Mutating cells were confirmed up front (`rollgate run --yes`). */
  confirmed?: boolean;
  /** Asks a person; used when not `confirmed`. Without either, mutating cells are declined. */
  confirmer?: Confirmer;
}

/**
 * Runs the cells of one runbook in one session: keeps named outputs for later cells'
 * variables, redacts every secret it resolved from everything it returns, and records every run
 * in the ledger. Used alike by the notebook controller and `rollgate run`.
 */
export class RunbookSession {
  readonly redactor = new Redactor();
  /** Named outputs of cells that ran successfully, read by later cells as `{{name.…}}`. */
  readonly outputs: Record<string, unknown> = {};
  readonly environment: string | undefined;
  private readonly ports: CellPorts;
  private readonly now: () => number;

  constructor(private readonly options: RunbookSessionOptions) {
    const frontEnvironment = typeof options.frontMatter?.environment === 'string' ? options.frontMatter.environment : undefined;
    this.environment = options.environment ?? frontEnvironment ?? options.plan?.metadata.environment;
    this.now = options.now ?? Date.now;
    const lookup = (name: string) => this.secret(name);
    this.ports = {
      http: options.ports.http,
      ...(options.ports.metrics ? { metrics: options.ports.metrics } : {}),
      ...(options.ports.deployment ? { deployment: options.ports.deployment } : {}),
      ...(options.ports.flags ? { flags: options.ports.flags } : {}),
    };
    if (options.plan) {
      const plan = options.plan;
      this.ports.metrics ??= planMetricQuery(plan, lookup);
      this.ports.deployment ??= planDeploymentActions(plan, lookup);
      const recordedFlags = options.ledger?.recordedFlags?.bind(options.ledger);
      const flags = this.ports.flags ?? planFlagActions(plan, lookup, recordedFlags ? () => recordedFlags(plan.metadata.service) : undefined);
      if (flags) this.ports.flags = flags;
    }
  }

  /** Resolves a secret and registers its value for redaction; throws when it is not set. */
  async secret(name: string): Promise<string> {
    const value = await this.options.secrets.get(name);
    if (value === undefined || value === '') {
      throw new MissingSecretError(name, this.options.missingSecretHint?.(name) ?? `Set the environment variable ${secretEnvironmentVariable(name)}.`);
    }
    this.redactor.add(value);
    return value;
  }

  /** Resolves a cell's variables without sending anything (dry runs, confirmations, hovers). */
  async prepare(cell: CellSpec): Promise<PrepareResult & { kind?: ReturnType<typeof cellKindOf> }> {
    const kind = cellKindOf(cell.language);
    if (!kind) return { diagnostics: [error('cell/unknown-kind', `"${cell.language}" cells do not run; use http, promql, rollout or check.`)] };
    const context: PrepareContext = {
      scope: buildVariableScope({
        ...(this.options.frontMatter ? { frontMatter: this.options.frontMatter } : {}),
        ...(this.options.plan ? { plan: this.options.plan } : {}),
        ...(this.environment !== undefined ? { environment: this.environment } : {}),
        outputs: this.outputs,
      }),
      attributes: cell.attributes,
      ports: this.ports,
      now: this.now,
      ...(this.options.files ? { files: this.options.files } : {}),
      ...(this.options.plan ? { plan: this.options.plan } : {}),
      ...(this.environment !== undefined ? { environment: this.environment } : {}),
    };
    try {
      switch (kind) {
        case 'http': {
          const result = prepareHttpCell(cell.value, context);
          // A call to the deployment endpoint's traffic/rollback/pause/resume is recorded as that action.
          const change = result.prepared?.mutating ? httpDeploymentChange(result.prepared.request, this.options.plan) : undefined;
          if (result.prepared && change) result.prepared.deploymentChange = change;
          return { kind, ...result };
        }
        case 'promql':
          return { kind, ...preparePromqlCell(cell.value, context) };
        case 'rollout':
          return { kind, ...prepareRolloutCell(cell.value, context) };
        case 'check':
          return { kind, ...prepareCheckCell(cell.value, context) };
      }
    } catch (caught) {
      // Preparing never throws on user content; anything here is a bug worth seeing, not a crash.
      return { kind, diagnostics: [error('cell/internal', `Could not prepare the cell: ${errorMessage(caught)}`)] };
    }
  }

  /** The confirmation a mutating prepared cell needs, or undefined when it needs none. */
  confirmationFor(prepared: PreparedCell, cell: CellSpec): ConfirmationRequest | undefined {
    if (!prepared.mutating) return undefined;
    const service = prepared.target.service ?? this.options.plan?.metadata.service;
    const name = typeof cell.attributes.name === 'string' ? cell.attributes.name : undefined;
    return {
      ...this.redactor.redactDeep(prepared.target),
      ...(this.environment !== undefined ? { environment: this.environment } : {}),
      ...(name ? { cellName: name } : {}),
      ...(isProductionEnvironment(this.environment) && service ? { typeToConfirm: service } : {}),
    };
  }

  /** Runs one cell: prepare, confirm when it mutates, send, record. Never throws. */
  async run(cell: CellSpec, options: RunCellOptions = {}): Promise<CellRunResult> {
    const started = performance.now();
    const kind = cellKindOf(cell.language) ?? 'http';
    const name = typeof cell.attributes.name === 'string' ? cell.attributes.name : undefined;
    const base = { kind, ...(name ? { name } : {}), ...(options.index !== undefined ? { index: options.index } : {}) };
    const finish = async (partial: Omit<CellRunResult, 'kind' | 'name' | 'index' | 'durationMs' | 'ok'>): Promise<CellRunResult> => {
      let result: CellRunResult = this.redactor.redactDeep({
        ...base,
        ...partial,
        ok: partial.outcome === 'success' || partial.outcome === 'dry-run',
        durationMs: performance.now() - started,
      });
      if (!options.dryRun) result = await this.record(result);
      if (result.ok && name && result.value !== undefined && !options.dryRun) this.outputs[name] = result.value;
      return result;
    };
    const fail = (outcome: CellOutcome, message: string, extra: Partial<CellRunResult> = {}) => finish({ outcome, mutating: extra.mutating ?? false, error: message, diagnostics: [], outputs: [], ...extra });

    const { prepared, diagnostics } = await this.prepare(cell);
    if (!prepared) {
      return fail('failure', summarize(diagnostics), { diagnostics, mutating: isMutating(cell) });
    }
    const shown = { mutating: prepared.mutating, request: prepared.request };
    if (options.dryRun) {
      return finish({ outcome: 'dry-run', diagnostics: [], outputs: [{ kind: 'text', text: dryRunText(prepared) }], ...shown });
    }
    const confirmation = this.confirmationFor(prepared, cell);
    if (confirmation && !options.confirmed) {
      const confirmed = options.confirmer ? await options.confirmer.confirm(confirmation).catch(() => false) : false;
      if (!confirmed) {
        const why = options.confirmer ? 'Not confirmed: nothing was sent.' : 'This cell changes something and needs confirmation: run it from the editor, or pass --yes to `rollgate run`. Nothing was sent.';
        return fail('declined', why, shown);
      }
    }
    if (options.signal?.aborted) return fail('cancelled', 'Cancelled before sending.', shown);
    const planned = prepared.deploymentChange;
    // Traffic before a change, for the record and the output's first line (a read; never blocks the change).
    const before = planned ? await this.readTraffic(options.signal) : undefined;
    const changeOf = (ok: boolean, after: ServiceTraffic | undefined): DeploymentChange | undefined =>
      planned && {
        action: planned.action,
        reason: planned.reason ?? `${planned.action} from ${this.options.runbook ?? 'a runbook'} cell ${(options.index ?? 0) + 1}${name ? ` (${name})` : ''}`,
        ...(planned.stage ? { stage: planned.stage } : {}),
        ...(before ? { from: before } : {}),
        ...(after ? { to: after } : {}),
        outcome: ok ? 'ok' : 'failed',
      };
    try {
      const outcome = await prepared.execute({
        ...(options.signal ? { signal: options.signal } : {}),
        secret: (secretName) => this.secret(secretName),
        idempotencyKey: () => randomUUID(),
        redact: (value) => this.redactor.add(value),
      });
      let outputs = outcome.outputs;
      let change: DeploymentChange | undefined;
      if (planned) {
        const after = outcome.ok ? (serviceTraffic((outcome.value as { body?: unknown } | undefined)?.body) ?? (await this.readTraffic(options.signal))) : undefined;
        change = changeOf(outcome.ok, after);
        if (outcome.ok) outputs = [{ kind: 'text', text: changeSummary(before, after) }, ...outputs];
      }
      return finish({
        outcome: outcome.ok ? 'success' : 'failure',
        diagnostics: [],
        outputs,
        ...shown,
        ...(outcome.request ? { request: outcome.request } : {}),
        ...(change ? { change } : {}),
        ...(outcome.value !== undefined ? { value: outcome.value } : {}),
        ...(outcome.status !== undefined ? { status: outcome.status } : {}),
        ...(outcome.error !== undefined ? { error: outcome.error } : {}),
        ...(outcome.noData ? { noData: true } : {}),
        ...(outcome.flags?.length ? { flags: outcome.flags } : {}),
      });
    } catch (caught) {
      const message = errorMessage(caught);
      const status = (caught as { status?: unknown }).status;
      const sent = (caught as { request?: RequestSummary }).request;
      const change = changeOf(false, undefined);
      return fail(options.signal?.aborted ? 'cancelled' : 'failure', options.signal?.aborted ? `Cancelled: ${message}` : message, {
        ...shown,
        ...(sent ? { request: sent } : {}),
        ...(change ? { change } : {}),
        ...(typeof status === 'number' ? { status } : {}),
      });
    }
  }

  /** The service's traffic as the deployment endpoint reports it now; undefined when it cannot be read. */
  private async readTraffic(signal: AbortSignal | undefined): Promise<ServiceTraffic | undefined> {
    try {
      return serviceTraffic(await this.ports.deployment?.getService(signal ? { signal } : {}));
    } catch {
      return undefined;
    }
  }

  /** Appends the ledger entry; a ledger that cannot be written fails the cell (the record matters). */
  private async record(result: CellRunResult): Promise<CellRunResult> {
    const ledger = this.options.ledger;
    if (!ledger) return result;
    const service = this.options.plan?.metadata.service;
    const record: CellRunRecord = this.redactor.redactDeep({
      action: 'cell-run',
      actor: this.options.actor,
      ...(service ? { service } : {}),
      ...(this.environment ? { environment: this.environment } : {}),
      ...(this.options.runbook ? { runbook: this.options.runbook } : {}),
      cell: { kind: result.kind, ...(result.index !== undefined ? { index: result.index } : {}), ...(result.name ? { name: result.name } : {}) },
      ...(result.request ? { request: result.request } : {}),
      ...(result.status !== undefined ? { status: result.status } : {}),
      durationMs: Math.round(result.durationMs * 10) / 10,
      outcome: result.outcome,
      ...(result.error ? { error: result.error } : {}),
      ...(result.flags?.length ? { flags: result.flags } : {}),
      ...(result.change ? { change: result.change } : {}),
      ...(result.change && this.options.plan ? { plan: { ...(this.options.planDigest ? { digest: this.options.planDigest } : {}), lineage: planLineage(this.options.plan) as unknown as Record<string, unknown> } } : {}),
    });
    try {
      await ledger.append(record);
      return result;
    } catch (caught) {
      const message = this.redactor.redact(errorMessage(caught));
      return { ...result, ok: false, outcome: 'failure', error: `${result.error ? `${result.error}; ` : ''}the ledger could not record this run: ${message}` };
    }
  }
}

function summarize(diagnostics: Diagnostic[]): string {
  return diagnostics.map((diagnostic) => diagnostic.message).join(' ') || 'The cell could not be prepared.';
}

/** What a dry run prints: the resolved request, secrets as `{{secret:name}}`. */
export function dryRunText(prepared: PreparedCell): string {
  const request = prepared.request;
  const lines = [`${request.method} ${request.url}`];
  for (const [name, value] of request.headers ?? []) lines.push(`${name}: ${value}`);
  if (request.body !== undefined) lines.push('', request.body);
  else if (request.bodyBytes !== undefined) lines.push('', `‹${request.bodyBytes} bytes of binary or long body${request.bodySha256 ? `, ${request.bodySha256}` : ''}›`);
  if (request.action) lines.push(`# ${request.action}`);
  if (prepared.deploymentChange) lines.push(`# recorded in the ledger as ${prepared.deploymentChange.action}; the traffic is read (GET) before and after for the record`);
  if (prepared.mutating) lines.push('# mutating: needs confirmation (--yes)');
  return lines.join('\n');
}

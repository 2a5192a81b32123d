import { backendProfile } from '../backends/profiles';
import type { Diagnostic } from '../diagnostics';
import { errorMessage } from '../errors';
import { describeFlagTarget, type FlagTarget } from '../flags/changes';
import { closestMatch } from '../plan/suggest';
import { rollbackTarget } from '../rollout/planFacts';
import { stageTraffic } from '../rollout/traffic';
import { serviceTraffic, trafficLine } from './deploymentChange';
import { error, type PrepareContext, type PrepareResult, type PreparedCell } from './prepared';
import type { DeploymentCall, Parsed } from './types';
import { renderTemplate, resolveTemplate, unresolvedDiagnostics } from './variables';

/** A word or quoted string of a rollout action, with its offsets in the cell body. */
export interface Token {
  text: string;
  start: number;
  end: number;
  quoted: boolean;
}

export type RolloutAction =
  | { action: 'status' }
  | { action: 'set-traffic'; percent: number; mirror?: number; reason?: Token }
  | { action: 'promote'; stage: Token; reason?: Token }
  | { action: 'pause'; reason?: Token }
  | { action: 'resume'; reason?: Token }
  | { action: 'rollback'; to?: Token; reason: Token }
  /** `flag <name> on|off|<percent>`: one of the plan's feature flags (docs/flags.md). */
  | { action: 'flag'; name: Token; value: Token; enabled?: boolean; percent?: number };

export const ROLLOUT_ACTIONS = ['status', 'set-traffic', 'promote', 'pause', 'resume', 'rollback', 'flag'] as const;
const MUTATING_ACTIONS = new Set(['set-traffic', 'promote', 'pause', 'resume', 'rollback', 'flag']);

/** Splits into words and double-quoted strings (with `\"` escapes); `#` starts a comment to end of line. */
export function tokenize(text: string): Parsed<Token[]> {
  const tokens: Token[] = [];
  const diagnostics: Diagnostic[] = [];
  let index = 0;
  while (index < text.length) {
    const char = text[index]!;
    if (/\s/.test(char)) {
      index++;
    } else if (char === '#') {
      while (index < text.length && text[index] !== '\n') index++;
    } else if (char === '"') {
      const start = index;
      let value = '';
      index++;
      let closed = false;
      while (index < text.length) {
        const next = text[index]!;
        if (next === '\\' && index + 1 < text.length) {
          value += text[index + 1];
          index += 2;
        } else if (next === '"') {
          closed = true;
          index++;
          break;
        } else if (next === '\n') {
          break;
        } else {
          value += next;
          index++;
        }
      }
      if (!closed) diagnostics.push(error('rollout/unclosed-quote', 'Unclosed quote: end the text with ".', start, index));
      tokens.push({ text: value, start, end: index, quoted: true });
    } else {
      const start = index;
      // `{{ … }}` may hold spaces; keep it inside the word.
      while (index < text.length && !/\s/.test(text[index]!)) {
        if (text.startsWith('{{', index)) {
          const close = text.indexOf('}}', index);
          index = close === -1 ? text.length : close + 2;
        } else index++;
      }
      tokens.push({ text: text.slice(start, index), start, end: index, quoted: false });
    }
  }
  return { value: tokens, diagnostics };
}

function parsePercent(token: Token | undefined, what: string, anchor: { start: number; end: number }, diagnostics: Diagnostic[]): number | undefined {
  if (!token) {
    diagnostics.push(error('rollout/missing-argument', `${what} needs a percentage from 0 to 100.`, anchor.start, anchor.end));
    return undefined;
  }
  const match = /^(\d+(?:\.\d+)?)%?$/.exec(token.text);
  const value = match ? Number(match[1]) : NaN;
  if (token.quoted || !(value >= 0 && value <= 100)) {
    diagnostics.push(error('rollout/bad-percent', `${what} must be a percentage from 0 to 100; got "${token.text}".`, token.start, token.end));
    return undefined;
  }
  return value;
}

/**
 * Parses one rollout action: `status`, `set-traffic N [mirror M] [reason "…"]`,
 * `promote <stage> [reason "…"]`, `pause [reason "…"]`, `resume [reason "…"]`,
 * `rollback [to <version|baseline>] reason "…"`.
 */
export function parseRolloutCell(text: string): Parsed<RolloutAction> {
  const tokenized = tokenize(text);
  const diagnostics = [...tokenized.diagnostics];
  const tokens = tokenized.value ?? [];
  const head = tokens[0];
  if (!head) {
    diagnostics.push(error('rollout/empty', `A rollout cell needs an action: ${ROLLOUT_ACTIONS.join(', ')}.`, 0, text.length));
    return { diagnostics };
  }
  const name = head.text.toLowerCase();
  let position = 1;
  const next = () => tokens[position++];
  const expectEnd = () => {
    const extra = tokens[position];
    if (extra) {
      const last = tokens[tokens.length - 1]!;
      diagnostics.push(error('rollout/unexpected', `Unexpected "${extra.text}": a rollout cell holds one action.`, extra.start, last.end));
    }
  };
  const optionalReason = (): Token | undefined => {
    const word = tokens[position];
    if (!word || word.quoted || word.text.toLowerCase() !== 'reason') return undefined;
    position++;
    const reason = next();
    if (!reason || !reason.quoted) {
      diagnostics.push(error('rollout/missing-reason', 'reason needs quoted text, e.g. reason "5xx above guardrail".', word.start, reason?.end ?? word.end));
      return undefined;
    }
    return reason;
  };
  let action: RolloutAction | undefined;
  switch (name) {
    case 'status':
      action = { action: 'status' };
      break;
    case 'set-traffic': {
      const percent = parsePercent(next(), 'set-traffic', head, diagnostics);
      let mirror: number | undefined;
      const word = tokens[position];
      if (word && !word.quoted && word.text.toLowerCase() === 'mirror') {
        position++;
        mirror = parsePercent(next(), 'mirror', word, diagnostics);
      }
      const reason = optionalReason();
      if (percent !== undefined) action = { action: 'set-traffic', percent, ...(mirror !== undefined ? { mirror } : {}), ...(reason ? { reason } : {}) };
      break;
    }
    case 'promote': {
      const stage = next();
      if (!stage) diagnostics.push(error('rollout/missing-argument', 'promote needs a stage name from the plan, e.g. promote canary-5.', head.start, head.end));
      else {
        const reason = optionalReason();
        action = { action: 'promote', stage, ...(reason ? { reason } : {}) };
      }
      break;
    }
    case 'pause':
    case 'resume': {
      const reason = optionalReason();
      action = { action: name, ...(reason ? { reason } : {}) };
      break;
    }
    case 'rollback': {
      let to: Token | undefined;
      const word = tokens[position];
      if (word && !word.quoted && word.text.toLowerCase() === 'to') {
        position++;
        to = next();
        if (!to) diagnostics.push(error('rollout/missing-argument', 'rollback to needs a version or `baseline`.', word.start, word.end));
      }
      const reasonWord = tokens[position];
      const reason = optionalReason();
      if (!reason && !diagnostics.some((diagnostic) => diagnostic.code === 'rollout/missing-reason')) {
        const anchor = reasonWord ?? tokens[tokens.length - 1]!;
        diagnostics.push(error('rollout/missing-reason', 'rollback needs a reason for the record: rollback to baseline reason "why".', anchor.start, anchor.end));
      }
      if (reason) action = { action: 'rollback', ...(to ? { to } : {}), reason };
      break;
    }
    case 'flag': {
      const flagName = next();
      const value = next();
      if (!flagName || !value) {
        diagnostics.push(error('rollout/missing-argument', 'flag needs a flag name from the plan and on, off or a percentage, e.g. flag new-ranking off.', head.start, (value ?? flagName ?? head).end));
        break;
      }
      const word = value.quoted ? '' : value.text.toLowerCase();
      if (word === 'on' || word === 'off') action = { action: 'flag', name: flagName, value, enabled: word === 'on' };
      else {
        const percent = parsePercent(value, `flag ${flagName.text} (on, off or a percentage)`, value, diagnostics);
        if (percent !== undefined) action = { action: 'flag', name: flagName, value, percent };
      }
      break;
    }
    default:
      diagnostics.push(error('rollout/unknown-action', `Unknown rollout action "${head.text}"; use one of ${ROLLOUT_ACTIONS.join(', ')}.`, head.start, head.end));
  }
  expectEnd();
  if (diagnostics.length > 0) return { diagnostics };
  return { value: action!, diagnostics };
}

/** True when the action changes traffic or state (everything but `status`). */
export function isMutatingRolloutAction(action: RolloutAction): boolean {
  return MUTATING_ACTIONS.has(action.action);
}

/** Resolves `{{…}}` in one token; unresolved or secret variables become diagnostics. */
function resolveToken(token: Token, context: PrepareContext, diagnostics: Diagnostic[]): string {
  // Quoted tokens lost their quotes, so offsets of placeholders start one character in.
  const template = resolveTemplate(token.text, context.scope, token.start + (token.quoted ? 1 : 0));
  diagnostics.push(...unresolvedDiagnostics(template.unresolved));
  if (template.secrets.length > 0) diagnostics.push(error('rollout/secret', 'Secrets cannot be used in a rollout action.', token.start, token.end));
  return renderTemplate(template);
}

/** Resolves a rollout cell against the linked plan; nothing is sent until `execute`. */
export function prepareRolloutCell(text: string, context: PrepareContext): PrepareResult {
  const parsed = parseRolloutCell(text);
  if (!parsed.value) return { diagnostics: parsed.diagnostics };
  const action = parsed.value;
  const diagnostics: Diagnostic[] = [];
  const plan = context.plan;
  const deployment = context.ports.deployment;
  if (!plan || !deployment) {
    return { diagnostics: [error('cell/no-plan', "A rollout cell acts on the linked plan's deployment endpoint: set `plan:` in the front matter to a valid *.rollout.yaml.")] };
  }
  const candidate = plan.model.candidate.version;
  const baseline = plan.model.baseline.version;
  const service = plan.metadata.service;
  const base = `${deployment.baseUrl.replace(/\/+$/, '')}/v1/services/${encodeURIComponent(service)}`;
  const environment = context.environment ? { environment: context.environment } : {};
  const mutating = isMutatingRolloutAction(action) || context.attributes.effect === 'mutate';
  let method = 'GET';
  let url = base;
  let summary: string;
  let call: DeploymentCall = { action: 'status' };
  const capabilities = backendProfile(plan.endpoints.deployment.type).capabilities;
  const backendLabel = backendProfile(plan.endpoints.deployment.type).label;
  /** A split or mirror the plan's backend cannot perform is refused here, before anything is sent. */
  const unsupported = (weights: Record<string, number>, mirrorPercent: number | undefined): string | undefined => {
    if (mirrorPercent && !capabilities.mirror) return `${backendLabel} has no native mirroring; remove the mirror.`;
    const problem = capabilities.splitProblem(weights);
    return problem ? `${backendLabel} cannot set this split: ${problem}.` : undefined;
  };
  let run: (runtime: Parameters<NonNullable<PrepareResult['prepared']>['execute']>[0]) => Promise<unknown>;
  /** Actions that report their own outcome (flags) instead of the endpoint's answer. */
  let execute: NonNullable<PrepareResult['prepared']>['execute'] | undefined;
  const flags = context.ports.flags;
  let change: PreparedCell['deploymentChange'];
  const reasonOf = (token: Token | undefined) => (token ? resolveToken(token, context, diagnostics) : undefined);

  switch (action.action) {
    case 'status':
      summary = `status of ${service}`;
      run = (runtime) => deployment.getService(runtime.signal ? { signal: runtime.signal } : {});
      break;
    case 'set-traffic': {
      const { percent, mirror } = action;
      summary = `set ${service} traffic: ${candidate} ${percent}%, ${baseline} ${100 - percent}%${mirror !== undefined ? `, mirror ${mirror}% to ${candidate}` : ''}`;
      method = 'PUT';
      url = `${base}/traffic`;
      const weights = { [candidate]: percent, [baseline]: 100 - percent };
      const mirrorWeights = mirror !== undefined ? { [candidate]: mirror } : undefined;
      const refused = unsupported(weights, mirror);
      if (refused) return { diagnostics: [error('rollout/unsupported', refused, 0, text.trim().length)] };
      call = { action: 'set-traffic', weights };
      const reason = reasonOf(action.reason);
      change = { action: 'traffic-change', ...(reason ? { reason } : {}) };
      run = (runtime) => deployment.setTraffic(weights, mirrorWeights, { idempotencyKey: runtime.idempotencyKey(), ...(runtime.signal ? { signal: runtime.signal } : {}) });
      break;
    }
    case 'promote': {
      const stageName = resolveToken(action.stage, context, diagnostics);
      const stage = plan.stages.find((one) => one.name === stageName);
      if (!stage) {
        diagnostics.push(error('rollout/unknown-stage', `The plan has no stage "${stageName}"; stages: ${plan.stages.map((one) => one.name).join(', ')}.`, action.stage.start, action.stage.end));
        return { diagnostics };
      }
      // Exactly what the engine sends for the stage (the shadow stage's default mirror included); the mirror is always sent.
      const traffic = stageTraffic(stage, candidate, baseline);
      if (!traffic) {
        diagnostics.push(error('rollout/stage-without-traffic', `Stage "${stage.name}" (${stage.kind}) sets no traffic or mirror; there is nothing to promote to.`, action.stage.start, action.stage.end));
        return { diagnostics };
      }
      const percent = traffic.weights[candidate] ?? 0;
      const refused = unsupported(traffic.weights, traffic.mirror?.percent);
      if (refused) {
        diagnostics.push(error('rollout/unsupported', `Stage "${stage.name}": ${refused}`, action.stage.start, action.stage.end));
        return { diagnostics };
      }
      call = { action: 'set-traffic', weights: traffic.weights };
      summary = `promote ${service} to stage ${stage.name}: ${candidate} ${percent}%, ${baseline} ${100 - percent}%${traffic.mirror ? `, mirror ${traffic.mirror.percent}%` : ', no mirror'}`;
      method = 'PUT';
      url = `${base}/traffic`;
      const reason = reasonOf(action.reason);
      change = { action: 'promote', stage: stage.name, reason: reason ?? `promote to stage ${stage.name}` };
      const mirrorWeights = traffic.mirror ? { [traffic.mirror.version]: traffic.mirror.percent } : {};
      run = (runtime) => deployment.setTraffic(traffic.weights, mirrorWeights, { idempotencyKey: runtime.idempotencyKey(), ...(runtime.signal ? { signal: runtime.signal } : {}) });
      break;
    }
    case 'pause':
    case 'resume': {
      const reason = action.reason ? resolveToken(action.reason, context, diagnostics) : undefined;
      const verb = action.action;
      const call = deployment[verb];
      if (!call) {
        diagnostics.push(error('rollout/unsupported', `${backendLabel.replace(/^t/, 'T')} cannot ${verb}; use set-traffic or rollback.`, 0, text.trim().length));
        return { diagnostics };
      }
      method = 'POST';
      url = `${base}/${verb}`;
      summary = `${verb} ${service}${reason ? ` (reason: ${reason})` : ''}`;
      change = { action: verb, ...(reason ? { reason } : {}) };
      run = (runtime) => call.call(deployment, reason, { idempotencyKey: runtime.idempotencyKey(), ...(runtime.signal ? { signal: runtime.signal } : {}) });
      break;
    }
    case 'rollback': {
      const written = action.to ? resolveToken(action.to, context, diagnostics) : plan.rollback.to;
      const to = action.to ? (written === 'baseline' ? baseline : written) : rollbackTarget(plan);
      const reason = resolveToken(action.reason, context, diagnostics);
      if (reason.trim() === '') diagnostics.push(error('rollout/missing-reason', 'The rollback reason is empty; say why, for the record.', action.reason.start, action.reason.end));
      method = 'POST';
      url = `${base}/rollback`;
      call = { action: 'rollback', to };
      summary = `roll back ${service} to ${to}${written === 'baseline' ? ' (baseline)' : ''} (reason: ${reason})`;
      change = { action: 'rollback', reason };
      run = (runtime) => deployment.rollback(to, reason, { idempotencyKey: runtime.idempotencyKey(), ...(runtime.signal ? { signal: runtime.signal } : {}) });
      if (flags) {
        // Traffic first, then the plan's flags as their onRollback says, in the same record.
        summary += `, then restore the feature flags ${flags.flags.map((flag) => `${flag.name} (${flag.onRollback})`).join(', ')} on ${flags.where}`;
        const rollbackSummary = summary;
        execute = async (runtime) => {
          let body: unknown;
          let failure: unknown;
          try {
            body = await run(runtime);
          } catch (caught) {
            failure = caught;
          }
          const restored = await flags.restore();
          const problems = [...(failure !== undefined ? [`ROLLBACK FAILED: ${errorMessage(failure)}`] : []), ...(restored.ok ? [] : [`feature flags NOT restored; set them by hand now: ${restored.manual.join(' ')}`])];
          const status = (failure as { status?: unknown } | undefined)?.status;
          return {
            ok: problems.length === 0,
            outputs: [{ kind: 'text', text: rollbackSummary }, ...(body !== undefined ? [{ kind: 'json' as const, value: body }] : []), { kind: 'json', value: { flags: restored.changes } }],
            value: { action: 'rollback', body, flags: restored.changes },
            flags: restored.changes,
            ...(typeof status === 'number' ? { status } : {}),
            ...(problems.length ? { error: problems.join('; ') } : {}),
          };
        };
      }
      break;
    }
    case 'flag': {
      if (!flags) {
        diagnostics.push(error('rollout/no-flags', 'The linked plan lists no feature flags (flags: with endpoints.flags); a flag action changes one of those.', action.name.start, action.value.end));
        return { diagnostics };
      }
      const name = resolveToken(action.name, context, diagnostics);
      if (!flags.flags.some((flag) => flag.name === name)) {
        const suggestion = closestMatch(
          name,
          flags.flags.map((flag) => flag.name),
        );
        diagnostics.push(
          error(
            'rollout/unknown-flag',
            `The plan has no flag "${name}"${suggestion ? `; did you mean "${suggestion}"?` : ''} Flags: ${flags.flags.map((flag) => flag.name).join(', ')}.`,
            action.name.start,
            action.name.end,
          ),
        );
        return { diagnostics };
      }
      const step = flags.capabilities.percentStep;
      if (action.percent !== undefined && !Number.isInteger(action.percent / step)) {
        diagnostics.push(error('rollout/bad-percent', `${flags.where} takes percentages in steps of ${step}; "${action.value.text}" cannot be set as it is.`, action.value.start, action.value.end));
        return { diagnostics };
      }
      // A percentage is the flag's gradual rollout, on for that share (0 % leaves on/off as it is).
      const target: FlagTarget = {
        name,
        reason: 'runbook',
        ...(action.enabled !== undefined ? { enabled: action.enabled } : {}),
        ...(action.percent !== undefined ? { percent: action.percent, ...(action.percent > 0 ? { enabled: true } : {}) } : {}),
      };
      method = 'FLAG';
      url = flags.resourceUrl(name);
      summary = `set feature flag ${name} ${describeFlagTarget(target)} on ${flags.where}`;
      const flagSummary = summary;
      run = async () => undefined;
      execute = async () => {
        const result = await flags.set(target);
        return {
          ok: result.ok,
          outputs: [
            { kind: 'text', text: flagSummary },
            { kind: 'json', value: { flags: result.changes } },
          ],
          value: { action: 'flag', flags: result.changes },
          flags: result.changes,
          ...(result.ok ? {} : { error: `feature flag ${name} was NOT set; set it by hand: ${result.manual.join(' ')}` }),
        };
      };
      break;
    }
  }
  if (diagnostics.length > 0) return { diagnostics };
  // A backend other than the Rollgate API says how the call really reaches it (HAProxy: the socket
  // and the exact command); the confirmation and the ledger show that, not a made-up HTTP call.
  const described = deployment.describe?.(call);
  let body: string | undefined;
  if (described) {
    ({ method, url, body } = described);
    if (body !== undefined) summary = `${summary}: ${body}`;
  }
  return {
    diagnostics: [],
    prepared: {
      kind: 'rollout',
      mutating,
      request: { method, url, action: summary, ...(body !== undefined ? { body } : {}) },
      target: { method, url, target: summary, service, ...environment },
      ...(change ? { deploymentChange: change } : {}),
      async execute(runtime) {
        if (execute) return execute(runtime);
        const body = await run(runtime);
        // A status leads with where traffic is; a change's before → after line is added by the session.
        const current = action.action === 'status' ? serviceTraffic(body) : undefined;
        const lead = current ? `${trafficLine(current)} · stable ${current.stable ?? '?'} · phase ${current.phase ?? '?'}` : summary;
        return {
          ok: true,
          outputs: [
            { kind: 'text', text: lead },
            { kind: 'json', value: body, collapsed: true, title: `${method} ${url}` },
          ],
          value: { action: action.action, body },
        };
      },
    },
  };
}

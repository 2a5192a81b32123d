// `rollgate rollback <plan> --yes`: the terminal's "roll back now". One idempotency-keyed call to
// the plan's deployment endpoint, recorded in the ledger, whatever runs or does not run elsewhere:
// during an incident the rollback comes first, and a rollout runner that meets the changed
// traffic pauses instead of undoing it.
import * as path from 'node:path';

import { DeploymentClient } from '../../core/endpoints/index';
import { defaultLedgerPath, Ledger } from '../../core/ledger/index';
import { rollgateDeployment } from '../../core/backends/profiles';
import { parseDuration } from '../../core/plan/schema';
import {
  acquireServiceLock,
  DEFAULT_STATE_DIR,
  describeTraffic,
  FileStateStore,
  FINISHED_STATUSES,
  LockHeldError,
  rollBackService,
  rollbackTarget,
} from '../../core/rollout/index';
import { textOrJson, walkArguments } from '../arguments';
import type { CliIo } from '../io';
import { ExitCode, UsageError } from '../io';
import { loadPlan, resolveSecret, safeUser } from './rollout';

const help = `Usage: rollgate rollback <plan.rollout.yaml> --yes [options]

Rolls the plan's service back at once: one idempotency-keyed call to the plan's deployment
endpoint (retried on transient failure), all traffic to the plan's rollback target, recorded
in the ledger. Without --yes it only says what it would send.

Options:
  --yes                  send the rollback (without it nothing is sent)
  --reason <text>        why, for the endpoint and the ledger (default: "manual rollback by cli:<user>")
  --to <version>         roll back to this version instead of the plan's rollback target
  --ledger <path>        ledger file (default .rollgate/ledger.jsonl)
  --format text|json     output format (default text)

Secrets: token references resolve from ROLLGATE_SECRET_<NAME> (upper case, '-' as '_').
Exit codes: 0 rolled back, 1 the rollback failed (roll back by hand), 2 usage error,
invalid plan or missing secret, or --yes not given.
`;

interface Options {
  plan: string;
  yes: boolean;
  reason?: string;
  to?: string;
  ledger?: string;
  format: 'text' | 'json';
}

class HelpRequested extends Error {}

function parseOptions(args: string[]): Options {
  const options: Omit<Options, 'plan'> = { yes: false, format: 'text' };
  const positional = walkArguments(args, help, (flag, value) => {
    switch (flag) {
      case '--help':
      case '-h':
        throw new HelpRequested();
      case '--yes':
      case '-y':
        options.yes = true;
        return true;
      case '--reason':
        options.reason = value();
        return true;
      case '--to':
        options.to = value();
        return true;
      case '--ledger':
        options.ledger = value();
        return true;
      case '--format':
        options.format = textOrJson(value());
        return true;
      default:
        return false;
    }
  });
  if (positional.length !== 1) throw new UsageError(`give exactly one plan file.\n\n${help}`);
  return { ...options, plan: positional[0]! };
}

/** The runner holding the service's lock, if any: named after the rollback, which goes first. */
async function runnerHolding(stateDir: string, service: string): Promise<string | undefined> {
  try {
    const lock = await acquireServiceLock(stateDir, service);
    await lock.release();
    return undefined;
  } catch (error) {
    if (error instanceof LockHeldError) return `pid ${error.holder.pid} on ${error.holder.host}, since ${error.holder.since}`;
    return undefined;
  }
}

export async function rollbackCommand(args: string[], io: CliIo): Promise<number> {
  let options: Options;
  try {
    options = parseOptions(args);
  } catch (error) {
    if (error instanceof HelpRequested) {
      io.stdout(help);
      return ExitCode.ok;
    }
    throw error;
  }
  const { plan, digest } = await loadPlan(path.resolve(io.cwd, options.plan), io);
  const service = plan.metadata.service;
  const to = options.to ?? rollbackTarget(plan);
  const endpoint = rollgateDeployment(plan, '`rollgate rollback`');
  if (!options.yes) {
    throw new UsageError(`this would send POST ${endpoint.url}/v1/services/${service}/rollback: all traffic of ${service} to version ${to}. Nothing was sent; add --yes to roll back.`);
  }
  const token = resolveSecret(endpoint.token, io, 'endpoints.deployment.token');
  const timeoutMs = endpoint.timeout ? parseDuration(endpoint.timeout) : undefined;
  const deployment = new DeploymentClient({ baseUrl: endpoint.url, service, ...(token ? { token } : {}), ...(timeoutMs ? { timeoutMs } : {}) });
  const actor = `cli:${safeUser()}`;
  const ledgerPath = options.ledger ? path.resolve(io.cwd, options.ledger) : defaultLedgerPath(io.cwd);
  const secrets = token && endpoint.token ? { [endpoint.token.secret]: token } : {};
  const stateDir = path.join(io.cwd, DEFAULT_STATE_DIR);
  // An unfinished stored rollout lends the rollback its run id, so the ledger groups them.
  const loaded = await new FileStateStore(stateDir).load(service).catch(() => undefined);
  const stored = loaded && !FINISHED_STATUSES.includes(loaded.status) ? loaded : undefined;

  const result = await rollBackService({
    plan,
    planDigest: digest,
    deployment,
    ledger: new Ledger({ path: ledgerPath, secrets }),
    actor,
    reason: options.reason ?? `manual rollback by ${actor}`,
    to,
    keyPrefix: 'cli',
    ...(stored ? { runId: stored.runId } : {}),
  });
  const runner = await runnerHolding(stateDir, service);

  const notes: string[] = [];
  if (runner) notes.push(`A rollout runner (${runner}) drives ${service}: it pauses at its next traffic change instead of undoing this rollback. Stop it, or leave it paused.`);
  else if (stored) notes.push(`The stored rollout of plan ${stored.planName} is unfinished (${stored.status}): \`rollgate rollout <plan> --resume\` would pause on the changed traffic; use --restart to start over.`);
  if (result.ledgerError) notes.push(`The ledger could not record this rollback: ${result.ledgerError}`);

  if (options.format === 'json') {
    io.stdout(`${JSON.stringify({ ok: result.ok, service, to, from: result.from, ms: Math.round(result.ms), idempotencyKey: result.idempotencyKey, error: result.error, ledger: result.recorded ? { path: ledgerPath, seq: result.recorded.seq } : { error: result.ledgerError }, notes }, null, 2)}\n`);
  } else if (result.ok) {
    const recorded = result.recorded ? `; recorded in ${path.relative(io.cwd, ledgerPath) || ledgerPath} as #${result.recorded.seq}` : '';
    io.stdout(`ROLLED BACK ${service} to ${to} in ${Math.round(result.ms)} ms (was ${describeTraffic(result.from)})${recorded}.\n`);
  } else {
    io.stderr(`ROLLBACK FAILED for ${service}: ${result.error}\nRoll back by hand to ${to} now (POST ${endpoint.url}/v1/services/${service}/rollback).\n`);
  }
  if (options.format === 'text') {
    for (const note of notes) {
      if (note.startsWith('The ledger')) io.stderr(`${note}\n`);
      else io.stdout(`${note}\n`);
    }
  }
  return result.ok ? ExitCode.ok : ExitCode.failure;
}

// `rollgate rollback <plan> --yes`: the terminal's "roll back now". One idempotency-keyed call to
// the plan's deployment endpoint, recorded in the ledger, whatever runs or does not run elsewhere:
// during an incident the rollback comes first, and a rollout runner that meets the changed
// traffic pauses instead of undoing it.
import * as path from 'node:path';

import { describeFlagChanges, describeFlagEndpoint } from '../../core/flags/index';
import { recordLocationOf } from '../../core/ledger/index';
import { createDeploymentBackend, describeTraffic, FINISHED_STATUSES, rollBackPlan, rollbackTarget } from '../../core/rollout/index';
import { parseOrHelp, textOrJson, walkArguments } from '../arguments';
import type { CliIo } from '../io';
import { ExitCode, UsageError } from '../io';
import { cliSecrets, loadPlan, needingSecrets, safeUser } from '../planInput';

const help = `Usage: rollgate rollback <plan.rollout.yaml> --yes [options]

Rolls the plan's service back at once: one idempotency-keyed call to the plan's deployment
endpoint (retried on transient failure), all traffic to the plan's rollback target, recorded
in the ledger. A plan with feature flags then has them put back as each flag's onRollback says
(the state recorded when the rollout started), in the same ledger entry; a flag service that
fails never holds up the traffic. Without --yes it only says what it would send.

Options:
  --yes                  send the rollback (without it nothing is sent)
  --reason <text>        why, for the endpoint and the ledger (default: "manual rollback by cli:<user>")
  --to <version>         roll back to this version instead of the plan's rollback target
  --ledger <path>        ledger file (default: .rollgate/ledger.jsonl at the plan's record root,
                         see 'rollgate ledger --help')
  --format text|json     output format (default text)

Secrets: token references resolve from ROLLGATE_SECRET_<NAME> (upper case, other characters as '_').
Exit codes: 0 rolled back, 1 the rollback failed (roll back by hand) or a flag could not be
restored (set it by hand), 2 usage error, invalid plan or missing secret, or --yes not given.
`;

interface Options {
  plan: string;
  yes: boolean;
  reason?: string;
  to?: string;
  ledger?: string;
  format: 'text' | 'json';
}

function parseOptions(args: string[]): Options {
  const options: Omit<Options, 'plan'> = { yes: false, format: 'text' };
  const positional = walkArguments(args, help, (flag, value) => {
    switch (flag) {
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

export async function rollbackCommand(args: string[], io: CliIo): Promise<number> {
  const options = parseOrHelp(() => parseOptions(args), help, io);
  if (!options) return ExitCode.ok;
  const planFile = path.resolve(io.cwd, options.plan);
  const { plan, digest } = await loadPlan(planFile, io);
  const service = plan.metadata.service;
  const to = options.to ?? rollbackTarget(plan);
  if (!options.yes) {
    // The backend without its token: enough to say what it would send, nothing is connected.
    const { rollbackRequest } = createDeploymentBackend({ plan });
    const flags =
      plan.endpoints.flags && plan.flags?.length ? `, then restore the feature flags ${plan.flags.map((flag) => `${flag.name} (${flag.onRollback})`).join(', ')} on ${describeFlagEndpoint(plan.endpoints.flags)}` : '';
    throw new UsageError(`this would send ${rollbackRequest(to)}: all traffic of ${service} to version ${to}${flags}. Nothing was sent; add --yes to roll back.`);
  }
  const actor = `cli:${safeUser()}`;
  const record = recordLocationOf(planFile);
  const ledgerPath = options.ledger ? path.resolve(io.cwd, options.ledger) : record.ledgerPath;
  const result = await needingSecrets(() =>
    rollBackPlan({
      plan,
      planDigest: digest,
      secrets: cliSecrets(io),
      ledgerPath,
      stateDir: record.stateDir,
      actor,
      reason: options.reason ?? `manual rollback by ${actor}`,
      to,
      keyPrefix: 'cli',
    }),
  );
  const stored = result.stored && !FINISHED_STATUSES.includes(result.stored.status) ? result.stored : undefined;
  const runner = result.runner ? `pid ${result.runner.pid} on ${result.runner.host}, since ${result.runner.since}` : undefined;

  const notes: string[] = [];
  if (runner) notes.push(`A rollout runner (${runner}) drives ${service}: it pauses at its next traffic change instead of undoing this rollback. Stop it, or leave it paused.`);
  else if (stored) notes.push(`The stored rollout of plan ${stored.planName} is unfinished (${stored.status}): \`rollgate rollout <plan> --resume\` would pause on the changed traffic; use --restart to start over.`);
  if (result.ledgerError) notes.push(`The ledger could not record this rollback: ${result.ledgerError}`);

  if (options.format === 'json') {
    io.stdout(
      `${JSON.stringify({ ok: result.ok, service, to, from: result.from, ms: Math.round(result.ms), idempotencyKey: result.idempotencyKey, error: result.error, ...(result.flags ? { flags: { ok: result.flags.ok, changes: result.flags.changes } } : {}), ledger: result.recorded ? { path: ledgerPath, seq: result.recorded.seq } : { error: result.ledgerError }, notes }, null, 2)}\n`,
    );
  } else if (result.ok) {
    const recorded = result.recorded ? `; recorded in ${path.relative(io.cwd, ledgerPath) || ledgerPath} as #${result.recorded.seq}` : '';
    io.stdout(`ROLLED BACK ${service} to ${to} in ${Math.round(result.ms)} ms (was ${describeTraffic(result.from)})${recorded}.\n`);
  } else {
    io.stderr(`ROLLBACK FAILED for ${service}: ${result.error}\nRoll back by hand to ${to} now (${result.rollbackRequest}).\n`);
  }
  if (options.format === 'text' && result.flags) {
    const restored = describeFlagChanges(result.flags);
    if (restored) io.stdout(`Feature flags restored: ${restored}.\n`);
    if (!result.flags.ok) io.stderr(`FEATURE FLAGS NOT RESTORED. Set by hand now: ${result.flags.manual.join(' ')}\n`);
  }
  if (options.format === 'text') {
    for (const note of notes) {
      if (note.startsWith('The ledger')) io.stderr(`${note}\n`);
      else io.stdout(`${note}\n`);
    }
  }
  return result.ok && (result.flags?.ok ?? true) ? ExitCode.ok : ExitCode.failure;
}

import { promises as fs } from 'node:fs';
import * as path from 'node:path';

import { errorMessage } from '../../core/errors';
import { formatNumber } from '../../core/guardrails/index';
import { recordLocationOf } from '../../core/ledger/index';
import type { DeliveryRecord } from '../../core/notify/index';
import { parseDuration, type Plan } from '../../core/plan/schema';
import {
  checkMetricRecording,
  connectMetrics,
  createDryRun,
  describeDevFaults,
  describeTraffic,
  drillBoundMs,
  DrillNotPossibleError,
  LockHeldError,
  openRollout,
  RecordedMetrics,
  RolloutConflictError,
  StoredStateUnreadableError,
  unreadMetrics,
  type DrillResult,
  type MetricSource,
  type RolloutEvent,
  type RolloutSnapshot,
  type RolloutStatus,
} from '../../core/rollout/index';
import { parseOrHelp, textOrJson, walkArguments } from '../arguments';
import type { CliIo } from '../io';
import { ExitCode, UsageError } from '../io';
import { cliSecrets, loadPlan, needingSecrets, safeUser } from '../planInput';

/** `rollgate rollout` exit codes (documented in docs/rollouts.md). */
export const RolloutExitCode = {
  promoted: 0,
  /** Rolled back, or failed (a rollback that could not complete, a drill that did not roll back). */
  rolledBack: 1,
  usage: 2,
  /** Stopped before an outcome: paused, waiting for approval, or interrupted. */
  paused: 3,
} as const;

const help = `Usage: rollgate rollout <plan.rollout.yaml> [options]

Walks the plan's stages against its deployment endpoint: sets traffic, bakes while measuring
guardrails, waits at manual gates, promotes; rolls back to the baseline on a breach.

Options:
  --dry-run              send nothing; print each decision the engine would take
  --metrics <file.json>  with --dry-run: replay recorded guardrail values
                         ({"<guardrail>": {"<version>": [0.01, null, ...]}}, null = no data)
  --read-metrics         with --dry-run: read current guardrail values from the plan's metric
                         endpoint (read-only; the deployment endpoint is still not touched)
  --drill                run against rollgate dev, inject a fault into the candidate and measure
                         the time from the fault to the completed rollback
  --drill-stage <name>   stage in which the fault strikes, after its first healthy measurement
                         (default: the first live-traffic stage with guardrails)
  --fault-error-rate <r> error rate of the injected fault, 0..1 (default 1)
  --scrape-interval <d>  Prometheus scrape interval for the drill's bound (default 1s)
  --yes                  approve manual gates without asking
  --resume               continue a paused rollout of this plan
  --restart              discard the stored state of this service and start again
  --ledger <path>        ledger file (default: .rollgate/ledger.jsonl at the plan's record root,
                         see 'rollgate ledger --help')
  --format text|json     output format (default text)

Secrets: token references resolve from ROLLGATE_SECRET_<NAME> (upper case, other characters as '_').
Exit codes: 0 promoted (a drill: rolled back as expected), 1 rolled back or failed,
2 usage error or invalid plan, 3 paused, waiting for approval or interrupted.
`;

interface Options {
  plan: string;
  dryRun: boolean;
  metricsFile?: string;
  readMetrics: boolean;
  drill: boolean;
  drillStage?: string;
  faultErrorRate: number;
  scrapeIntervalMs: number;
  yes: boolean;
  resume: boolean;
  restart: boolean;
  ledger?: string;
  format: 'text' | 'json';
}

function parseOptions(args: string[]): Options {
  const options: Partial<Options> & Pick<Options, 'dryRun' | 'readMetrics' | 'drill' | 'yes' | 'resume' | 'restart' | 'format' | 'faultErrorRate' | 'scrapeIntervalMs'> = {
    dryRun: false,
    readMetrics: false,
    drill: false,
    yes: false,
    resume: false,
    restart: false,
    format: 'text',
    faultErrorRate: 1,
    scrapeIntervalMs: 1000,
  };
  const positional = walkArguments(args, help, (flag, value) => {
    switch (flag) {
      case '--dry-run':
        options.dryRun = true;
        return true;
      case '--drill':
        options.drill = true;
        return true;
      case '--read-metrics':
        options.readMetrics = true;
        return true;
      case '--yes':
      case '-y':
        options.yes = true;
        return true;
      case '--resume':
        options.resume = true;
        return true;
      case '--restart':
        options.restart = true;
        return true;
      case '--metrics':
        options.metricsFile = value();
        return true;
      case '--drill-stage':
        options.drillStage = value();
        return true;
      case '--ledger':
        options.ledger = value();
        return true;
      case '--fault-error-rate': {
        const rate = Number(value());
        if (!(rate > 0 && rate <= 1)) throw new UsageError('--fault-error-rate needs a number above 0 and at most 1');
        options.faultErrorRate = rate;
        return true;
      }
      case '--scrape-interval': {
        const text = value();
        const ms = parseDuration(text);
        if (ms === undefined || ms === 0) throw new UsageError(`--scrape-interval needs a duration such as 1s or 15s, got '${text}'`);
        options.scrapeIntervalMs = ms;
        return true;
      }
      case '--format':
        options.format = textOrJson(value());
        return true;
      default:
        return false;
    }
  });
  if (positional.length !== 1) throw new UsageError(`give exactly one plan file.\n\n${help}`);
  if (options.dryRun && options.drill) throw new UsageError('--dry-run and --drill exclude each other: a drill sends real requests to rollgate dev');
  if (options.metricsFile && !options.dryRun) throw new UsageError('--metrics replays recorded values and works only with --dry-run');
  if (options.readMetrics && !options.dryRun) throw new UsageError('--read-metrics works only with --dry-run (a live rollout always reads metrics)');
  if (options.readMetrics && options.metricsFile) throw new UsageError('--read-metrics and --metrics exclude each other');
  if (options.drillStage && !options.drill) throw new UsageError('--drill-stage needs --drill');
  return { ...options, plan: positional[0]! };
}

export function exitCodeFor(status: RolloutStatus): number {
  switch (status) {
    case 'promoted':
      return RolloutExitCode.promoted;
    case 'rolled-back':
    case 'failed':
      return RolloutExitCode.rolledBack;
    default:
      return RolloutExitCode.paused;
  }
}

/** `rollgate rollout <plan> [--dry-run|--drill] [--yes] [--format text|json]`. */
export async function rolloutCommand(args: string[], io: CliIo): Promise<number> {
  const options = parseOrHelp(() => parseOptions(args), help, io);
  if (!options) return ExitCode.ok;
  const planFile = path.resolve(io.cwd, options.plan);
  const { plan, digest } = await loadPlan(planFile, io);
  if (options.dryRun) return dryRun(plan, digest, options, io);
  return live(plan, planFile, digest, options, io);
}

// ---------------------------------------------------------------------------------------------

function eventPrinter(io: CliIo, options: Options, startedAt: () => number): (event: RolloutEvent) => void {
  return (event) => {
    if (options.format !== 'text') return;
    // Progress ticks are for the side panel; a terminal gets the decisions.
    if (event.kind === 'baking' && !event.message.includes('baking for')) return;
    if (event.kind === 'measured' && event.measurement?.outcome === 'skipped') return;
    const offset = Math.round((Date.parse(event.at) - startedAt()) / 1000);
    const line = `[+${offset}s] ${event.message}\n`;
    if (event.kind === 'rollback-failed' || event.kind === 'ledger-error' || event.kind === 'flags-failed') io.stderr(line);
    else io.stdout(line);
  };
}

function summary(snapshot: RolloutSnapshot): string {
  const stages = snapshot.stages.map((stage) => `  ${stage.name.padEnd(16)} ${stage.status}`).join('\n');
  const end: Record<RolloutStatus, string> = {
    promoted: `PROMOTED: ${snapshot.candidateVersion} rolled out (${describeTraffic(snapshot.traffic)})`,
    'rolled-back': `ROLLED BACK to ${snapshot.rollbackTo}: ${snapshot.rollback?.reason ?? ''}`,
    failed: `FAILED: ${snapshot.rollback?.error ? `rollback could not complete (${snapshot.rollback.error}); roll back by hand` : 'see above'}`,
    paused: `PAUSED: ${snapshot.pauseReason ?? ''}\n  continue with: rollgate rollout <plan> --resume`,
    'waiting-approval': `WAITING FOR APPROVAL after stage ${snapshot.stages[snapshot.stageIndex]?.name ?? ''}\n  approve with: rollgate rollout <plan> --yes`,
    'rolling-back': 'ROLLING BACK (interrupted; run again to finish the rollback)',
    running: 'INTERRUPTED: state saved; run the same command again to resume',
    pending: 'NOT STARTED',
  };
  return `\nStages:\n${stages}\n${end[snapshot.status]}\n`;
}

async function dryRun(plan: Plan, digest: string, options: Options, io: CliIo): Promise<number> {
  let metrics: MetricSource = unreadMetrics;
  if (options.metricsFile) {
    const file = path.resolve(io.cwd, options.metricsFile);
    let recording: unknown;
    try {
      recording = JSON.parse(await fs.readFile(file, 'utf8'));
    } catch (error) {
      throw new UsageError(`cannot read the metric recording ${file}: ${errorMessage(error)}`);
    }
    const problem = checkMetricRecording(recording);
    if (problem) throw new UsageError(`${file}: ${problem}`);
    metrics = new RecordedMetrics(recording as Record<string, Record<string, (number | null)[]>>);
  }
  if (options.readMetrics) metrics = (await needingSecrets(() => connectMetrics(plan, cliSecrets(io)))).metrics;
  const metricsNote = options.metricsFile ? 'guardrails read the recording' : options.readMetrics ? `guardrails read the current values from ${plan.endpoints.metrics.url}` : 'guardrails are not measured';
  const { engine, traffic, flagCalls, clock, headline, retell } = await createDryRun(plan, digest, metrics, metricsNote);
  const startedAt = clock.now();
  const decisions: { at: string; kind: string; message: string }[] = [];
  const print = eventPrinter(io, options, () => startedAt);
  engine.onEvent((raw) => {
    const event = retell(raw);
    decisions.push({ at: event.at, kind: event.kind, message: event.message });
    print(event);
  });
  if (options.format === 'text')
    io.stdout(`${headline}
`);
  // Ctrl-C stops a dry run as it stops a live one: paused, exit 3.
  void io.interrupted?.then(() => void engine.pause('interrupted from the command line'));
  const final = await engine.run();
  if (options.format === 'json') {
    io.stdout(
      `${JSON.stringify({ mode: 'dry-run', status: final.status, exitCode: exitCodeFor(final.status), decisions, calls: traffic.calls, ...(flagCalls ? { flagCalls: flagCalls.calls } : {}), snapshot: final }, null, 2)}\n`,
    );
  } else {
    io.stdout(summary(final).replace('PROMOTED', 'WOULD PROMOTE').replace('ROLLED BACK', 'WOULD ROLL BACK'));
  }
  return exitCodeFor(final.status);
}

/** How long `rollgate rollout` waits at the end for notifications still being delivered. */
const NOTIFICATION_DRAIN_MS = 15_000;

async function live(plan: Plan, planFile: string, digest: string, options: Options, io: CliIo): Promise<number> {
  const user = safeUser();
  const record = recordLocationOf(planFile);
  const notifications: DeliveryRecord[] = [];
  let opened;
  try {
    opened = await needingSecrets(() =>
      openRollout({
        plan,
        planDigest: digest,
        secrets: cliSecrets(io),
        workspaceRoot: record.root,
        ledgerPath: options.ledger ? path.resolve(io.cwd, options.ledger) : record.ledgerPath,
        actor: options.drill ? `drill:${user}` : `cli:${user}`,
        // A drill always starts from the beginning: it is an exercise, not a rollout to resume.
        restart: options.restart,
        ...(options.drill ? { drill: { ...(options.drillStage !== undefined ? { stage: options.drillStage } : {}), errorRate: options.faultErrorRate } } : {}),
        engine: { autoApprove: options.yes },
        onNotification: (record) => {
          notifications.push(record);
          if (options.format !== 'text') return;
          if (record.outcome === 'delivered') io.stdout(`[notify] ${record.event} delivered to ${record.target} (HTTP ${record.status}${record.attempts > 1 ? `, ${record.attempts} attempts` : ''})\n`);
          else io.stderr(`[notify] ${record.event} ${record.outcome === 'dropped' ? 'dropped for' : 'NOT delivered to'} ${record.target}: ${record.error ?? record.outcome}\n`);
        },
      }),
    );
  } catch (error) {
    if (error instanceof LockHeldError) {
      io.stderr(`rollgate rollout: ${error.message}\n`);
      return RolloutExitCode.paused;
    }
    if (error instanceof RolloutConflictError || error instanceof StoredStateUnreadableError) throw new UsageError(`${error.message} (--restart)`);
    if (error instanceof DrillNotPossibleError) throw new UsageError(error.message);
    throw error;
  }
  const { engine, drill } = opened;
  if (opened.digestNote && options.format === 'text') io.stderr(`note: ${opened.digestNote}\n`);
  try {
    const before = engine.snapshot();
    const startedAt = Date.parse(before.startedAt);
    engine.onEvent(eventPrinter(io, options, () => startedAt));

    if (opened.resumed) {
      if (before.status === 'promoted' || before.status === 'rolled-back' || before.status === 'failed') {
        if (options.format === 'json') io.stdout(`${JSON.stringify({ mode: 'live', status: before.status, exitCode: exitCodeFor(before.status), alreadyFinished: true, snapshot: before }, null, 2)}\n`);
        else io.stdout(`This plan already ran for ${before.service} (run ${before.runId}); use --restart to run it again.${summary(before)}`);
        return exitCodeFor(before.status);
      }
      if (options.format === 'text') io.stdout(`Resuming run ${before.runId} of ${before.planName} at stage ${before.stages[before.stageIndex]?.name ?? 'end'} (${before.status}).\n`);
      if (before.status === 'paused') {
        if (!options.resume) {
          if (options.format === 'json') io.stdout(`${JSON.stringify({ mode: 'live', status: before.status, exitCode: RolloutExitCode.paused, snapshot: before }, null, 2)}\n`);
          else io.stdout(summary(before));
          return RolloutExitCode.paused;
        }
        await engine.resume(`cli:${user}`);
      }
    } else if (options.format === 'text') {
      io.stdout(`${options.drill ? 'Drill' : 'Rollout'} of ${plan.metadata.name}: ${plan.model.candidate.version} replacing ${plan.model.baseline.version} on ${plan.metadata.service}.\n`);
    }

    // Ctrl-C pauses (traffic stays where it is) and the state says how to continue.
    let interrupted = false;
    void io.interrupted?.then(() => {
      interrupted = true;
      void engine.pause('interrupted from the command line');
    });

    let result: DrillResult | undefined;
    let final: RolloutSnapshot;
    if (drill) {
      result = await drill.run({
        onInjected: () => {
          if (options.format === 'text') io.stdout(`[drill] fault injected into ${plan.model.candidate.version}: error rate ${options.faultErrorRate}\n`);
        },
        onClearFailed: (error) => io.stderr(`[drill] could not clear the fault: ${String(error)}\n`),
        onStaleFaultsCleared: (faults) =>
          io.stderr(`[drill] cleared ${faults.length === 1 ? 'a fault' : `${faults.length} faults`} already on rollgate dev before this drill (${describeDevFaults(faults)}), probably left by a drill that was killed\n`),
      });
      final = result.snapshot;
    } else {
      final = await engine.run();
    }

    // The rollout is over (or stopped): give pending notifications a bounded time to arrive.
    if (opened.notifications.active && !(await opened.notifications.drain(NOTIFICATION_DRAIN_MS))) {
      io.stderr(`[notify] notifications still pending after ${NOTIFICATION_DRAIN_MS / 1000} s are cancelled (recorded in the ledger as not delivered)\n`);
      opened.notifications.close();
      await opened.notifications.drain(5_000);
    }
    const bound = drill ? drillBoundMs(plan, drill.stage, options.scrapeIntervalMs) : undefined;
    const code = result ? (final.status === 'rolled-back' ? RolloutExitCode.promoted : final.status === 'paused' ? RolloutExitCode.paused : RolloutExitCode.rolledBack) : exitCodeFor(final.status);
    if (options.format === 'json') {
      io.stdout(
        `${JSON.stringify({ mode: options.drill ? 'drill' : 'live', status: final.status, exitCode: code, interrupted, ...(result && drill ? { drill: { stage: drill.stage, boundMs: bound, ...withoutSnapshot(result) } } : {}), ...(notifications.length ? { notifications } : {}), snapshot: final }, null, 2)}\n`,
      );
    } else {
      io.stdout(summary(final));
      if (result && drill && bound !== undefined) io.stdout(drillReport(result, drill.stage, bound));
    }
    return code;
  } finally {
    await opened.close();
  }
}

function withoutSnapshot(result: DrillResult): Omit<DrillResult, 'snapshot'> {
  const { snapshot: _snapshot, ...rest } = result;
  return rest;
}

function drillReport(result: DrillResult, stage: string, boundMs: number): string {
  if (!result.injected) return `\nDrill: the fault was never injected (stage ${stage} was not reached)${result.error ? `: ${result.error}` : ''}\n`;
  const ms = (value: number | undefined) => (value === undefined ? 'n/a' : `${formatNumber(value)} ms`);
  const within = result.faultToRollbackMs !== undefined && result.faultToRollbackMs <= boundMs;
  return [
    '',
    `Drill in stage ${stage}:`,
    `  fault -> breach decided          ${ms(result.faultToBreachMs)}`,
    `  fault -> rollback call completed ${ms(result.faultToRollbackCallMs)}`,
    `  fault -> endpoint at baseline    ${ms(result.faultToRollbackMs)}`,
    `  bound                            ${ms(boundMs)}  ${result.faultToRollbackMs === undefined ? 'NOT ROLLED BACK' : within ? 'within bound' : 'OVER BOUND'} (guardrail interval × failureLimit + scrape + 500 ms)`,
    '',
  ].join('\n');
}

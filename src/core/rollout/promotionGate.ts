// The promotion-gate step of the state machine: after a stage's bake (and before any manual
// approval), the stage's confirm-promotion gates are asked while the bake scheduler goes on
// measuring the stage's guardrails. A breach while a gate holds still rolls back at once; a pause
// or a rollback stops the asking.
import type { BakeOutcome, BakeScheduler } from './bakeScheduler';
import type { PromotionGate } from './ports';
import type { RolloutRun } from './run';
import type { StageSnapshot } from './state';

/** How waiting for the gates ended: confirmed, not confirmed (pause), or what the measurements decided. */
export type GateOutcome = BakeOutcome | { kind: 'confirmed' } | { kind: 'not-confirmed'; reason: string };

export async function awaitPromotionGate(run: RolloutRun, baking: BakeScheduler, gate: PromotionGate, stage: StageSnapshot): Promise<GateOutcome> {
  const next = run.state.stages[run.state.stageIndex + 1];
  const decided = new AbortController();
  const stopAsking = new AbortController();
  let holdRecorded = false;
  run.emit('waiting-gate', `stage ${stage.name} passed its bake; asking the confirm-promotion gate${next ? ` before promoting to ${next.name}` : ''}`, stage.name);
  const asking = gate
    .confirm(
      { stage: stage.name, ...(next ? { nextStage: next.name } : {}), snapshot: run.snapshot() },
      {
        signal: stopAsking.signal,
        onHold: (name, reason, attempt) => {
          run.emit('gate-held', `gate ${name} holds the promotion of ${stage.name} (attempt ${attempt}): ${reason}`, stage.name);
          // The first hold is worth a ledger entry; every later ask would only repeat it.
          if (!holdRecorded) {
            holdRecorded = true;
            void run.record('promotion-gate', { stage: stage.name, reason: `gate ${name} holds the promotion of ${stage.name}: ${reason}` });
          }
        },
      },
    )
    .finally(() => decided.abort());
  const watched = await baking.bake(stage, decided.signal);
  if (watched.kind !== 'baked') {
    // A breach or a pause acts at once; the gate's request in flight is cancelled in the background.
    stopAsking.abort();
    void asking.catch(() => undefined);
    return watched;
  }
  const decision = await asking;
  if (run.state.status !== 'running') return { kind: 'interrupted' };
  if (decision.open) {
    run.emit('gate-confirmed', decision.reason, stage.name);
    await run.record('promotion-gate', { stage: stage.name, reason: decision.reason });
    return { kind: 'confirmed' };
  }
  await run.record('promotion-gate', { stage: stage.name, reason: decision.reason, outcome: 'failed' });
  return { kind: 'not-confirmed', reason: decision.reason };
}

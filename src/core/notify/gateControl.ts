// The engine's PromotionGate over the plan's confirm-promotion targets: each gate of a stage is
// asked in plan order; the promotion is confirmed when all of them answered 2xx.
import type { Plan } from '../plan/schema';
import type { PromotionGate, PromotionGateDecision } from '../rollout/ports';
import type { SecretResolver } from '../secrets';
import { askGate, gatesForStage, type GateClock } from './gate';
import { formatDuration } from '../report/text';
import type { Poster } from './post';

/** The plan's gates as the engine's {@link PromotionGate}; undefined when the plan has none. */
export function planPromotionGate(plan: Plan, secrets: SecretResolver, clock: GateClock, post?: Poster): PromotionGate | undefined {
  const targets = plan.notify ?? [];
  if (!targets.some((target) => target.type === 'confirm-promotion')) return undefined;
  return {
    appliesTo: (stage) => gatesForStage(targets, stage).length > 0,
    async confirm(question, hooks): Promise<PromotionGateDecision> {
      const { snapshot } = question;
      const confirmed: string[] = [];
      for (const gate of gatesForStage(targets, question.stage)) {
        const answer = await askGate(
          gate,
          {
            schema: 'rollgate.promotion-gate/v1',
            runId: snapshot.runId,
            service: snapshot.service,
            plan: { name: snapshot.planName, digest: snapshot.planDigest, environment: plan.metadata.environment },
            stage: question.stage,
            ...(question.nextStage ? { nextStage: question.nextStage } : {}),
            versions: { candidate: snapshot.candidateVersion, baseline: snapshot.baselineVersion },
            ...(snapshot.traffic ? { traffic: snapshot.traffic } : {}),
          },
          { secrets, clock, signal: hooks.signal, onHold: hooks.onHold, ...(post ? { post } : {}) },
        );
        const waited = formatDuration(answer.waitedMs);
        switch (answer.outcome) {
          case 'open':
            confirmed.push(`${gate.name} (${answer.attempts} ask${answer.attempts === 1 ? '' : 's'}, ${waited})`);
            continue;
          case 'timeout':
            return {
              open: false,
              gate: gate.name,
              reason: `promotion gate ${gate.name} did not confirm the promotion of ${question.stage} within ${gate.target.maxWait ?? '30m'} (last answer: ${answer.lastHold ?? 'none'}); resume to ask again, or roll back`,
            };
          case 'misconfigured':
            return { open: false, gate: gate.name, reason: `promotion gate ${gate.name} cannot be asked: ${answer.lastHold ?? 'misconfigured'}` };
          case 'aborted':
            return { open: false, gate: gate.name, reason: `asking promotion gate ${gate.name} was stopped` };
        }
      }
      return { open: true, reason: `promotion of ${question.stage} confirmed by ${confirmed.join(', ')}` };
    },
  };
}

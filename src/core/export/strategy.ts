// The plan's stages → an Argo Rollouts strategy: canary steps, or a blueGreen switch.
import { parseDuration, type Stage } from '../plan/schema';
import { candidateTrafficPercent } from '../plan/semantics';
import { ExportCodes } from './findings';
import { goDuration } from './format';
import { stageAnalysis, type ExportContext, type StageAnalysis } from './stageAnalysis';

/** The route Argo creates (and lists in `managedRoutes`) to mirror traffic for shadow stages. */
export const MIRROR_ROUTE = 'rollgate-mirror';

export interface StrategyResult {
  strategy: Record<string, unknown>;
  templates: Record<string, unknown>[];
  /** Lines for the YAML comment that explains how the strategy differs from the plan. */
  notes: string[];
}

const bakeOf = (stage: Stage): number => (stage.bake ? (parseDuration(stage.bake) ?? 0) : 0);

/** Picks blueGreen when the plan has a blue-green stage (Argo runs one strategy per Rollout), canary otherwise. */
export function exportStrategy(context: ExportContext): StrategyResult {
  return context.plan.stages.some((stage) => stage.kind === 'blue-green') ? blueGreenStrategy(context) : canaryStrategy(context);
}

function canaryStrategy(context: ExportContext): StrategyResult {
  const { plan, settings, findings } = context;
  const router = settings.trafficRouting;
  const mirrorCapable = router !== undefined && ('istio' in router || 'plugins' in router);
  const steps: Record<string, unknown>[] = [];
  const templates: Record<string, unknown>[] = [];
  const notes: string[] = [];
  let weight = 0;
  let mirror = 0;
  let usesMirror = false;
  let warnedReplicas = false;

  plan.stages.forEach((stage, index) => {
    const at = (...rest: PropertyKey[]) => ['stages', index, ...rest];
    if (stage.kind !== 'offline') {
      const wanted = candidateTrafficPercent(stage) ?? 0;
      const wantedMirror = stage.kind === 'shadow' ? (stage.mirror ?? 100) : (stage.mirror ?? 0);
      if (wantedMirror > 0 && !mirrorCapable) {
        findings.push({
          severity: 'error',
          code: ExportCodes.mirrorNeedsRouter,
          message: `Stage '${stage.name}' mirrors ${wantedMirror}% of traffic to the candidate. Argo Rollouts mirrors only through a traffic router (setMirrorRoute, Istio or a router plugin): add export.argoRollouts.trafficRouting with istio (and canaryService/stableService).`,
          path: at(stage.mirror !== undefined ? 'mirror' : 'kind'),
        });
      }
      if (mirror > 0 && wantedMirror === 0) {
        // A setMirrorRoute without match removes the route; the canary scale follows the weight again.
        steps.push({ setMirrorRoute: { name: MIRROR_ROUTE } }, { setCanaryScale: { matchTrafficWeight: true } });
      }
      // Argo starts an update at canary weight 0.
      if (wanted !== weight) steps.push({ setWeight: wanted });
      if (!router && !warnedReplicas && wanted > 0 && wanted < 100) {
        warnedReplicas = true;
        findings.push({
          severity: 'warning',
          code: ExportCodes.weightByReplicas,
          message: `Without export.argoRollouts.trafficRouting, Argo approximates ${wanted}% of traffic by the share of pods (the nearest whole number of replicas), not by routing requests.`,
          path: at(stage.traffic !== undefined ? 'traffic' : 'kind'),
        });
        notes.push('No trafficRouting: each setWeight is approximated by the share of pods, not by routing requests.');
      }
      if (wantedMirror > 0 && (wantedMirror !== mirror || wanted !== weight)) {
        usesMirror = true;
        // Mirrored requests need candidate pods: scale the canary for its live share plus the copies
        // (again whenever the weight moves, since an explicit canary scale stays until reset).
        steps.push({ setCanaryScale: { weight: Math.min(100, wanted + wantedMirror) } });
        if (wantedMirror !== mirror) steps.push({ setMirrorRoute: { name: MIRROR_ROUTE, percentage: wantedMirror, match: [{ path: { prefix: '/' } }] } });
      }
      weight = wanted;
      mirror = wantedMirror;
    }
    const bakeMs = bakeOf(stage);
    const analysis = stageAnalysis(context, stage, index, bakeMs);
    if (analysis) {
      templates.push(analysis.template);
      steps.push({ analysis: analysis.reference });
    }
    const rest = bakeMs - (analysis?.durationMs ?? 0);
    if (rest > 0) {
      if (rest % 1000 !== 0) {
        findings.push({
          severity: 'error',
          code: ExportCodes.wholeSeconds,
          message: `Argo pauses in whole seconds; the bake of stage '${stage.name}' leaves ${rest} ms after its measurements. Use a bake in whole seconds (or a multiple of the guardrail interval).`,
          path: at('bake'),
        });
      } else steps.push({ pause: { duration: goDuration(rest) } });
    }
    if (stage.approval === 'manual') steps.push({ pause: {} });
  });

  const last = plan.stages[plan.stages.length - 1];
  const stopsBelowFull = weight < 100;
  if (plan.stages.some((stage) => stage.final) && stopsBelowFull && !isIndefinitePause(steps[steps.length - 1])) {
    steps.push({ pause: {} });
    notes.push(`The plan stops at ${weight}% (final stage '${last?.name}'): the Rollout ends with an indefinite pause, because Argo promotes to 100% after the last step.`);
  }
  // After the last step Argo promotes to 100% by itself: a trailing setWeight 100 says nothing more.
  const tail = steps[steps.length - 1];
  if (tail && 'setWeight' in tail && tail.setWeight === 100) steps.pop();

  const canary: Record<string, unknown> = {};
  if (settings.canaryService) canary.canaryService = settings.canaryService;
  if (settings.stableService) canary.stableService = settings.stableService;
  if (router) {
    if (!settings.canaryService || !settings.stableService) {
      findings.push({
        severity: 'error',
        code: ExportCodes.routerNeedsServices,
        message: 'With trafficRouting, Argo Rollouts needs canaryService and stableService: add both to export.argoRollouts.',
        path: ['export', 'argoRollouts', 'trafficRouting'],
        at: 'key',
      });
    }
    const managed = Array.isArray(router.managedRoutes) ? [...(router.managedRoutes as unknown[])] : [];
    canary.trafficRouting = usesMirror ? { ...router, managedRoutes: [...managed, { name: MIRROR_ROUTE }] } : router;
  }
  canary.steps = steps;
  if (usesMirror) notes.push(`Shadow stages: setCanaryScale gives the canary pods for its live share plus the mirrored copies; route '${MIRROR_ROUTE}' mirrors every request (path prefix '/').`);
  return { strategy: { canary }, templates, notes };
}

function isIndefinitePause(step: Record<string, unknown> | undefined): boolean {
  return step !== undefined && 'pause' in step && Object.keys(step.pause as object).length === 0;
}

function blueGreenStrategy(context: ExportContext): StrategyResult {
  const { plan, settings, findings } = context;
  const templates: Record<string, unknown>[] = [];
  const notes: string[] = [];
  const pre: StageAnalysis[] = [];
  const post: StageAnalysis[] = [];
  let autoPromotion = true;
  let switchIndex: number | undefined;

  plan.stages.forEach((stage, index) => {
    const at = (...rest: PropertyKey[]) => ['stages', index, ...rest];
    const bakeMs = bakeOf(stage);
    if (stage.kind === 'blue-green') {
      if (switchIndex !== undefined) {
        findings.push({ severity: 'error', code: ExportCodes.blueGreenStageOrder, message: `A Rollout switches once; stage '${plan.stages[switchIndex]!.name}' already is the blue-green switch.`, path: at('kind') });
        return;
      }
      switchIndex = index;
      if (stage.traffic !== undefined && stage.traffic !== 100) {
        findings.push({
          severity: 'error',
          code: ExportCodes.blueGreenTraffic,
          message: `Argo's blueGreen strategy switches all traffic; traffic ${stage.traffic} cannot be exported. Use a canary plan for a partial share.`,
          path: at('traffic'),
        });
      }
      const analysis = stageAnalysis(context, stage, index, bakeMs);
      if (analysis) post.push(analysis);
      checkBake(stage, index, bakeMs, analysis, 'after the switch');
      if (stage.approval === 'manual') {
        autoPromotion = false;
        findings.push({
          severity: 'warning',
          code: ExportCodes.blueGreenGateBeforeSwitch,
          message:
            "In Argo's blueGreen strategy the manual gate comes before the switch (autoPromotionEnabled: false): a person promotes the preview, and the post-promotion analysis runs after. Rollgate asks after the bake.",
          path: at('approval'),
        });
        notes.push('approval: manual on the blue-green stage → autoPromotionEnabled: false: the person approves before the switch, not after the bake.');
      }
      return;
    }
    if (switchIndex === undefined && stage.kind === 'offline') {
      const analysis = stageAnalysis(context, stage, index, bakeMs);
      if (analysis) pre.push(analysis);
      checkBake(stage, index, bakeMs, analysis, 'before the switch');
      if (stage.approval === 'manual') autoPromotion = false;
      return;
    }
    if (switchIndex !== undefined && stage.kind === 'full' && !stage.guardrails?.length && !stage.bake && stage.approval !== 'manual' && (stage.traffic ?? 100) === 100) return;
    findings.push(
      switchIndex === undefined
        ? {
            severity: 'error',
            code: ExportCodes.mixedStrategies,
            message: `Argo Rollouts runs one strategy per Rollout, and this plan switches with blue-green (blueGreen has no ${stage.kind} step: no weights, no mirroring). Only offline stages may come before the blue-green stage.`,
            path: at('kind'),
          }
        : {
            severity: 'error',
            code: ExportCodes.blueGreenStageOrder,
            message: `After the blue-green switch an Argo Rollout is done; stage '${stage.name}' cannot follow it. Put its guardrails on the blue-green stage.`,
            path: at('kind'),
          },
    );
  });

  function checkBake(stage: Stage, index: number, bakeMs: number, analysis: StageAnalysis | undefined, when: string): void {
    if (bakeMs > (analysis?.durationMs ?? 0)) {
      findings.push({
        severity: 'error',
        code: ExportCodes.bakeNotExpressible,
        message: `Argo's blueGreen strategy has no pause ${when}: stage '${stage.name}' can only bake while its guardrails measure (${analysis ? `${goDuration(analysis.durationMs)} here` : 'it has none'}). Make the bake a multiple of the guardrail interval, or add guardrails.`,
        path: ['stages', index, 'bake'],
      });
    }
  }

  for (const analysis of [...pre, ...post]) templates.push(analysis.template);
  if (!settings.activeService) {
    findings.push({
      severity: 'error',
      code: ExportCodes.blueGreenNeedsActiveService,
      message: "Argo's blueGreen strategy switches a Service: add export.argoRollouts.activeService (and previewService to reach the candidate before the switch).",
      path: switchIndex !== undefined ? ['stages', switchIndex, 'kind'] : ['stages'],
    });
  }
  const blueGreen: Record<string, unknown> = { activeService: settings.activeService ?? '' };
  if (settings.previewService) blueGreen.previewService = settings.previewService;
  blueGreen.autoPromotionEnabled = autoPromotion;
  if (pre.length > 0) blueGreen.prePromotionAnalysis = mergeAnalyses(pre);
  if (post.length > 0) blueGreen.postPromotionAnalysis = mergeAnalyses(post);
  if (pre.length > 1) notes.push('The guardrails of several offline stages run together in one pre-promotion analysis.');
  return { strategy: { blueGreen }, templates, notes };
}

/** Several stages' analyses as one Argo analysis block (templates listed, args merged by name). */
function mergeAnalyses(analyses: StageAnalysis[]): Record<string, unknown> {
  const templates = analyses.flatMap((analysis) => analysis.reference.templates as unknown[]);
  const args = new Map<string, unknown>();
  for (const analysis of analyses) for (const arg of (analysis.reference.args as { name: string }[] | undefined) ?? []) args.set(arg.name, arg);
  return { templates, ...(args.size > 0 ? { args: [...args.values()] } : {}) };
}

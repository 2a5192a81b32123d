// An Argo Rollout (and its AnalysisTemplates) → the plan that says the same: steps to stages,
// Prometheus metrics to guardrails, `pause: {}` to manual approval. What the plan cannot say is
// collected in `notes`; values Argo does not have are left as placeholders that fail validation.
import { parseGoDuration } from './format';
import { guardrailName, importMetric, rollgateDuration, type ArgValue, type ImportedGuardrail, type KnownValues } from './importMetrics';
import { ANNOTATION_PREFIX } from './stageAnalysis';
import { MIRROR_ROUTE } from './strategy';

type Json = Record<string, unknown>;

export interface ImportedPlan {
  plan: Json;
  /** What the plan does not express, one sentence each. */
  notes: string[];
  /** Paths (as key lists) of values to fill in, with what belongs there. */
  fillIn: { path: string[]; what: string }[];
}

interface StageDraft {
  name: string;
  kind: 'offline' | 'shadow' | 'canary' | 'blue-green' | 'full';
  traffic?: number;
  mirror?: number;
  bakeMs: number;
  analysisMs: number;
  guardrails: string[];
  approval?: 'manual';
}

const asObject = (value: unknown): Json => (value && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : {});
const asList = (value: unknown): Json[] => (Array.isArray(value) ? value.map(asObject) : []);

export function importRollout(rollout: Json, templates: Map<string, Json>): ImportedPlan {
  const notes: string[] = [];
  const fillIn: ImportedPlan['fillIn'] = [];
  const metadata = asObject(rollout.metadata);
  const spec = asObject(rollout.spec);
  const annotations = asObject(metadata.annotations) as Record<string, string>;
  const annotation = (key: string): Json | undefined => {
    try {
      const text = annotations[`${ANNOTATION_PREFIX}/${key}`];
      return text ? (JSON.parse(text) as Json) : undefined;
    } catch {
      return undefined;
    }
  };
  const rolloutName = String(metadata.name ?? 'rollout');
  const workloadRef = asObject(spec.workloadRef);
  const service = typeof workloadRef.name === 'string' ? workloadRef.name : rolloutName;
  const candidate = annotation('candidate');
  const baseline = annotation('baseline');
  const known: KnownValues = {
    ...(typeof candidate?.version === 'string' ? { candidateVersion: candidate.version } : {}),
    ...(typeof baseline?.version === 'string' ? { baselineVersion: baseline.version } : {}),
    service,
    ...(annotations[`${ANNOTATION_PREFIX}/plan`] ? { plan: annotations[`${ANNOTATION_PREFIX}/plan`] } : {}),
    ...(annotations[`${ANNOTATION_PREFIX}/model`] ? { model: annotations[`${ANNOTATION_PREFIX}/model`] } : {}),
  };

  const guardrails = new Map<string, Json>();
  const imported: ImportedGuardrail[] = [];
  /** Runs one analysis block (step, background, pre/post promotion); returns guardrail names and its duration. */
  const analyse = (analysis: Json, where: string, waitedMs = 0): { names: string[]; durationMs: number } => {
    const rolloutArgs = argValues(asList(analysis.args));
    const names: string[] = [];
    let durationMs = 0;
    for (const reference of asList(analysis.templates)) {
      const templateName = String(reference.templateName ?? '');
      const template = templates.get(`${reference.clusterScope ? 'ClusterAnalysisTemplate' : 'AnalysisTemplate'}/${templateName}`);
      if (!template) {
        notes.push(`${where}: AnalysisTemplate '${templateName}' was not given (pass its file too)`);
        continue;
      }
      const templateSpec = asObject(template.spec);
      if (asList(templateSpec.templates).length > 0) notes.push(`${where}: template '${templateName}' nests other templates, which were not followed`);
      const args = new Map([...argValues(asList(templateSpec.args)), ...rolloutArgs]);
      // A Rollout arg without a value does not override the template's default.
      for (const [argName, value] of argValues(asList(templateSpec.args))) if (!rolloutArgs.get(argName)?.value && !rolloutArgs.get(argName)?.podTemplateHash) args.set(argName, value);
      const dryRun = new Set(asList(templateSpec.dryRun).map((entry) => String(entry.metricName)));
      for (const metric of asList(templateSpec.metrics)) {
        const result = importMetric(metric, args, dryRun, known, waitedMs);
        if (typeof result === 'string') {
          notes.push(`${where}: ${result}`);
          continue;
        }
        imported.push(result);
        notes.push(...result.notes.map((note) => `${where}: ${note}`));
        let name = String(result.guardrail.name);
        const existing = guardrails.get(name);
        if (existing && JSON.stringify(existing) !== JSON.stringify(result.guardrail)) {
          let suffix = 2;
          while (guardrails.has(`${name}-${suffix}`)) suffix++;
          name = `${name}-${suffix}`;
          result.guardrail.name = name;
        }
        guardrails.set(name, result.guardrail);
        names.push(name);
        durationMs = Math.max(durationMs, result.durationMs ?? 0);
        if (result.durationMs === undefined && where !== 'background analysis') notes.push(`${where}: metric '${String(metric.name)}' measures until the analysis is stopped; the stage bake does not include it`);
      }
    }
    return { names, durationMs };
  };

  const stages: StageDraft[] = [];
  const strategy = asObject(spec.strategy);
  const exportBlock: Json = { rolloutName };
  if (typeof metadata.namespace === 'string') exportBlock.namespace = metadata.namespace;
  if (typeof spec.replicas === 'number') exportBlock.replicas = spec.replicas;
  if (spec.workloadRef) exportBlock.workloadRef = workloadRef;
  else if (spec.template) notes.push('spec.template (the pod template) is not part of a plan: move it to a Deployment and name it in export.argoRollouts.workloadRef');

  if (strategy.blueGreen) {
    const blueGreen = asObject(strategy.blueGreen);
    for (const key of ['activeService', 'previewService'] as const) if (typeof blueGreen[key] === 'string') exportBlock[key] = blueGreen[key];
    const manual = blueGreen.autoPromotionEnabled === false;
    if (blueGreen.prePromotionAnalysis || manual) {
      const { names, durationMs } = blueGreen.prePromotionAnalysis ? analyse(asObject(blueGreen.prePromotionAnalysis), 'prePromotionAnalysis') : { names: [], durationMs: 0 };
      stages.push({ name: 'pre-promotion', kind: 'offline', bakeMs: durationMs, analysisMs: durationMs, guardrails: names, ...(manual ? { approval: 'manual' as const } : {}) });
    }
    const post = blueGreen.postPromotionAnalysis ? analyse(asObject(blueGreen.postPromotionAnalysis), 'postPromotionAnalysis') : { names: [], durationMs: 0 };
    stages.push({ name: 'switch', kind: 'blue-green', traffic: 100, bakeMs: post.durationMs, analysisMs: post.durationMs, guardrails: post.names });
    for (const key of Object.keys(blueGreen)) {
      if (!['activeService', 'previewService', 'autoPromotionEnabled', 'prePromotionAnalysis', 'postPromotionAnalysis'].includes(key)) notes.push(`blueGreen.${key} (a cluster setting the plan does not hold)`);
    }
  } else if (strategy.canary) {
    const canary = asObject(strategy.canary);
    for (const key of ['canaryService', 'stableService'] as const) if (typeof canary[key] === 'string') exportBlock[key] = canary[key];
    if (canary.trafficRouting) {
      const router = { ...asObject(canary.trafficRouting) };
      const managed = asList(router.managedRoutes).filter((route) => route.name !== MIRROR_ROUTE);
      if (managed.length > 0) router.managedRoutes = managed;
      else delete router.managedRoutes;
      exportBlock.trafficRouting = router;
    }
    canaryStages(asList(canary.steps), stages, notes, analyse);
    const background = asObject(canary.analysis);
    if (canary.analysis) {
      const startingStep = typeof background.startingStep === 'number' ? background.startingStep : 0;
      const { names } = analyse(background, 'background analysis');
      for (const stage of stages) if ((stage as StageDraft & { firstStep?: number }).firstStep! >= startingStep) stage.guardrails.push(...names.filter((name) => !stage.guardrails.includes(name)));
      if (names.length > 0) notes.push(`background analysis from step ${startingStep}: its metrics became guardrails of each stage from there, measured during each stage's bake`);
    }
    for (const key of Object.keys(canary)) {
      if (!['canaryService', 'stableService', 'trafficRouting', 'steps', 'analysis'].includes(key)) notes.push(`canary.${key} (a cluster setting the plan does not hold)`);
    }
  } else notes.push('the Rollout has no canary or blueGreen strategy');

  // Argo promotes to 100% after the last step.
  const last = stages[stages.length - 1];
  if (!last || ((last.traffic ?? 0) < 100 && last.kind !== 'blue-green')) stages.push({ name: uniqueName(stages, 'full'), kind: 'full', traffic: 100, bakeMs: 0, analysisMs: 0, guardrails: [] });

  const pauseOnBreach = imported.length > 0 && imported.every((entry) => entry.pauseOnBreach);
  if (!pauseOnBreach && imported.some((entry) => entry.pauseOnBreach)) notes.push('some metrics pause on breach (failureCondition: false) and others abort; the plan says rollback.automatic: true for all');
  const address = imported.find((entry) => entry.address)?.address;
  if (imported.some((entry) => entry.address && entry.address !== address)) notes.push(`metrics read from several Prometheus addresses; the plan uses ${address}`);
  const token = imported.find((entry) => entry.tokenSecret)?.tokenSecret;
  if (token) exportBlock.metricsTokenSecret = token;
  const versionValue = imported.find((entry) => entry.versionValue)?.versionValue;
  if (versionValue === 'podTemplateHash') exportBlock.versionValue = 'podTemplateHash';
  const timeoutSeconds = imported.find((entry) => entry.timeoutSeconds !== undefined)?.timeoutSeconds;

  const version = (what: Json | undefined, role: 'candidate' | 'baseline') => {
    if (what && typeof what.version === 'string') return what;
    fillIn.push({ path: ['model', role, 'version'], what: `the ${role}'s version label` });
    fillIn.push({ path: ['model', role, 'artifact'], what: `where the ${role}'s model artifact lives` });
    fillIn.push({ path: ['model', role, 'digest'], what: `the ${role} artifact's sha256 digest` });
    return { version: '', artifact: '', digest: 'sha256:FILL-IN' };
  };
  const environment = annotations[`${ANNOTATION_PREFIX}/environment`];
  if (!environment) fillIn.push({ path: ['metadata', 'environment'], what: 'dev, test, staging or prod' });
  fillIn.push({ path: ['endpoints', 'deployment', 'url'], what: "the Rollgate deployment endpoint for drills (Argo changes traffic itself); 'rollgate dev' serves one on http://127.0.0.1:8700" });
  if (!address) fillIn.push({ path: ['endpoints', 'metrics', 'url'], what: 'the Prometheus URL' });

  const lineage: Json = {};
  for (const [key, annotationKey] of [
    ['data', 'lineage-data'],
    ['features', 'lineage-features'],
    ['training', 'lineage-training'],
  ] as const) {
    const text = annotations[`${ANNOTATION_PREFIX}/${annotationKey}`];
    if (text) {
      try {
        lineage[key] = JSON.parse(text);
      } catch {
        notes.push(`annotation ${ANNOTATION_PREFIX}/${annotationKey} is not JSON`);
      }
    }
  }

  const plan: Json = {
    apiVersion: 'rollgate/v1',
    kind: 'RolloutPlan',
    metadata: {
      name: guardrailName(annotations[`${ANNOTATION_PREFIX}/plan`] ?? rolloutName),
      service: guardrailName(service),
      ...(annotations[`${ANNOTATION_PREFIX}/owner`] ? { owner: annotations[`${ANNOTATION_PREFIX}/owner`] } : {}),
      environment: environment ?? '',
    },
    model: { name: annotations[`${ANNOTATION_PREFIX}/model`] ?? rolloutName, candidate: version(candidate, 'candidate'), baseline: version(baseline, 'baseline') },
    ...(Object.keys(lineage).length > 0 ? { lineage } : {}),
    endpoints: {
      deployment: { url: '' },
      metrics: {
        url: address ?? '',
        ...(token ? { token: { secret: token.name } } : {}),
        ...(timeoutSeconds !== undefined ? { timeout: rollgateDuration(timeoutSeconds * 1000) } : {}),
      },
    },
    guardrails: [...guardrails.values()],
    stages: stages.map((stage) => {
      const bake = stage.bakeMs > 0 ? rollgateDuration(stage.bakeMs) : undefined;
      return {
        name: stage.name,
        kind: stage.kind,
        ...(stage.traffic !== undefined && stage.kind !== 'offline' ? { traffic: stage.traffic } : {}),
        ...(stage.mirror !== undefined ? { mirror: stage.mirror } : {}),
        ...(bake ? { bake } : {}),
        ...(stage.guardrails.length > 0 ? { guardrails: stage.guardrails } : {}),
        ...(stage.approval ? { approval: stage.approval } : {}),
      };
    }),
    rollback: { to: 'baseline', automatic: !pauseOnBreach },
    export: { argoRollouts: exportBlock },
  };
  return { plan, notes, fillIn };
}

function argValues(args: Json[]): Map<string, ArgValue> {
  const values = new Map<string, ArgValue>();
  for (const arg of args) {
    const name = String(arg.name ?? '');
    const valueFrom = asObject(arg.valueFrom);
    if (typeof arg.value === 'string') values.set(name, { value: arg.value });
    else if (valueFrom.podTemplateHashValue === 'Latest' || valueFrom.podTemplateHashValue === 'Stable') values.set(name, { podTemplateHash: valueFrom.podTemplateHashValue });
    else if (valueFrom.secretKeyRef) {
      const ref = asObject(valueFrom.secretKeyRef);
      values.set(name, { secret: { name: String(ref.name ?? ''), key: String(ref.key ?? '') } });
    } else if (arg.valueFrom) values.set(name, { other: true });
    else values.set(name, {});
  }
  return values;
}

function uniqueName(stages: StageDraft[], base: string): string {
  let name = base;
  for (let suffix = 2; stages.some((stage) => stage.name === name); suffix++) name = `${base}-${suffix}`;
  return name;
}

/** Walks canary steps: each setWeight (or mirror change) opens a stage; pauses and analyses bake and gate it. */
function canaryStages(steps: Json[], stages: StageDraft[], notes: string[], analyse: (analysis: Json, where: string, waitedMs?: number) => { names: string[]; durationMs: number }): void {
  let weight = 0;
  let mirror = 0;
  let current: (StageDraft & { firstStep?: number }) | undefined;
  const open = (index: number): StageDraft => {
    const kind: StageDraft['kind'] = weight >= 100 ? 'full' : mirror > 0 && weight === 0 ? 'shadow' : weight === 0 && mirror === 0 ? 'offline' : 'canary';
    const base = kind === 'canary' ? `canary-${weight}` : kind === 'offline' ? 'before-traffic' : kind;
    current = { name: uniqueName(stages, base), kind, ...(kind !== 'offline' ? { traffic: weight } : {}), ...(mirror > 0 ? { mirror } : {}), bakeMs: 0, analysisMs: 0, guardrails: [], firstStep: index };
    stages.push(current);
    return current;
  };
  // A stage ends at a gate: what follows an indefinite pause belongs to the next stage.
  const stage = (index: number): StageDraft => (current && !current.approval ? current : open(index));

  steps.forEach((step, index) => {
    const where = `step ${index}`;
    if (typeof step.setWeight === 'number') {
      weight = step.setWeight;
      open(index);
    } else if (step.pause !== undefined) {
      const duration = asObject(step.pause).duration;
      if (duration === undefined) stage(index).approval = 'manual';
      else {
        const ms = parseGoDuration(duration as string | number);
        if (ms === undefined) notes.push(`${where}: pause duration '${String(duration)}'`);
        else stage(index).bakeMs += ms;
      }
    } else if (step.analysis) {
      const target = stage(index);
      const { names, durationMs } = analyse(asObject(step.analysis), `${where} (analysis)`, target.analysisMs === 0 ? target.bakeMs : 0);
      target.guardrails.push(...names.filter((name) => !target.guardrails.includes(name)));
      target.bakeMs += durationMs;
      target.analysisMs += durationMs;
    } else if (step.setMirrorRoute) {
      const route = asObject(step.setMirrorRoute);
      if (!route.match) mirror = 0;
      else if (mirrorsAll(route)) mirror = typeof route.percentage === 'number' ? route.percentage : 100;
      else {
        notes.push(`${where}: setMirrorRoute '${String(route.name)}' mirrors only matching requests (a plan's shadow stage mirrors a share of all traffic)`);
        return;
      }
      if (route.match) open(index);
    } else if (step.setCanaryScale) {
      const scale = asObject(step.setCanaryScale);
      const next = steps[index + 1];
      const previous = steps[index - 1];
      // Rollgate's own export scales the canary around its mirror route; that is part of the shadow stage.
      const aroundMirror =
        (scale.weight !== undefined && ((next?.setMirrorRoute && mirrorsAll(asObject(next.setMirrorRoute))) || mirror > 0)) ||
        (scale.matchTrafficWeight === true && previous?.setMirrorRoute && !asObject(previous.setMirrorRoute).match);
      if (!aroundMirror) notes.push(`${where}: setCanaryScale (the plan gives the candidate traffic, not a pod count)`);
    } else {
      const kind = Object.keys(step)[0] ?? 'empty';
      notes.push(`${where}: ${kind} step (${kind === 'setHeaderRoute' ? 'header routes' : kind === 'experiment' ? 'experiments' : kind === 'plugin' ? 'step plugins' : 'unknown steps'} have no plan stage)`);
    }
  });
}

/** A mirror route whose one match is every path: a plan's shadow stage (as Rollgate exports it). */
function mirrorsAll(route: Json): boolean {
  const match = asList(route.match);
  return match.length === 1 && Object.keys(match[0]!).length === 1 && Object.keys(asObject(match[0]!.path)).join() === 'prefix' && asObject(match[0]!.path).prefix === '/';
}

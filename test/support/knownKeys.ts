// Lists keys of an object that a Kubernetes model's schema does not know. The validators of
// @kubernetes-models accept unknown keys (a Kubernetes API server would prune them silently), so
// tests walk each emitted object along the package's own TypeScript interfaces, which are
// generated from the same source as its validators (Argo Rollouts' Go types, the
// prometheus-operator CRDs), and report every key they do not declare.
import * as path from 'node:path';
import ts from 'typescript';

const root = path.resolve(__dirname, '../..');
const entry = path.join(root, 'test', '__known_keys__.ts');

const models = {
  Rollout: ['@kubernetes-models/argo-rollouts/argoproj.io/v1alpha1/Rollout', 'IRollout'],
  AnalysisTemplate: ['@kubernetes-models/argo-rollouts/argoproj.io/v1alpha1/AnalysisTemplate', 'IAnalysisTemplate'],
  PrometheusRule: ['@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule', 'IPrometheusRule'],
} as const;

let cached: { checker: ts.TypeChecker; types: Record<string, ts.Type> } | undefined;

function load(): { checker: ts.TypeChecker; types: Record<string, ts.Type> } {
  if (cached) return cached;
  const source = Object.entries(models)
    .map(([kind, [module, name]]) => `import type { ${name} } from '${module}';\nexport declare const ${kind}: ${name};`)
    .join('\n');
  const options: ts.CompilerOptions = { module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler, target: ts.ScriptTarget.ES2022, strict: true, noEmit: true, skipLibCheck: true, types: [] };
  const host = ts.createCompilerHost(options);
  const read = host.readFile.bind(host);
  host.readFile = (file) => (path.resolve(file) === entry ? source : read(file));
  const exists = host.fileExists.bind(host);
  host.fileExists = (file) => path.resolve(file) === entry || exists(file);
  const getSource = host.getSourceFile.bind(host);
  host.getSourceFile = (file, language) => (path.resolve(file) === entry ? ts.createSourceFile(file, source, language) : getSource(file, language));
  const program = ts.createProgram([entry], options, host);
  const checker = program.getTypeChecker();
  const file = program.getSourceFile(entry)!;
  const moduleSymbol = checker.getSymbolAtLocation(file)!;
  const types: Record<string, ts.Type> = {};
  for (const symbol of checker.getExportsOfModule(moduleSymbol)) types[symbol.name] = checker.getTypeOfSymbol(symbol);
  cached = { checker, types };
  return cached;
}

/** JSON paths (`spec.strategy.canary.steps[2].bogus`) of keys the schema of `object.kind` does not declare. */
export function unknownKeys(object: Record<string, unknown>): string[] {
  const { checker, types } = load();
  const root = types[String(object.kind)];
  if (!root) return [`(no schema for kind ${String(object.kind)})`];
  const found: string[] = [];
  const walk = (value: unknown, type: ts.Type, at: string): void => {
    const candidates = (type.isUnion() ? type.types : [type]).filter((member) => !(member.flags & (ts.TypeFlags.Undefined | ts.TypeFlags.Null)));
    if (Array.isArray(value)) {
      const element = candidates.map((member) => checker.getIndexTypeOfType(member, ts.IndexKind.Number)).find(Boolean);
      if (element) value.forEach((item, index) => walk(item, element, `${at}[${index}]`));
      return;
    }
    if (!value || typeof value !== 'object') return;
    const objects = candidates.filter((member) => member.flags & ts.TypeFlags.Object);
    if (objects.length === 0) return;
    for (const [key, child] of Object.entries(value)) {
      const where = at ? `${at}.${key}` : key;
      const property = objects.map((member) => member.getProperty(key)).find(Boolean);
      if (property) {
        walk(child, checker.getTypeOfSymbol(property), where);
        continue;
      }
      const index = objects.map((member) => checker.getIndexTypeOfType(member, ts.IndexKind.String)).find(Boolean);
      if (index) {
        walk(child, index, where);
        continue;
      }
      // `{}` in the models is a free-form object (e.g. a plugin's configuration).
      if (objects.every((member) => member.getProperties().length === 0)) continue;
      found.push(where);
    }
  };
  walk(object, root, '');
  return found;
}

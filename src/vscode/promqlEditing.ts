import * as vscode from 'vscode';
import { completePlanQuery, planQueryHoverTarget, promqlHoverTarget, type PlanQueryHoverTarget } from '../core/plan/index';
import { completePromql, metricHoverMarkdown, type PromqlCompletionItem, type PromqlCompletionKind } from '../core/promql/index';
import type { PrometheusCatalog } from '../core/endpoints/index';
import { isPlanDocument, PLAN_SELECTOR } from './planLanguage';
import type { PromqlSources } from './promqlSources';
import { toRange } from './ranges';
import { runbookMetadata } from './runbookSerializer';

const PROMQL_SELECTOR: vscode.DocumentSelector = [{ language: 'promql' }];

const itemKinds: Record<PromqlCompletionKind, vscode.CompletionItemKind> = {
  metric: vscode.CompletionItemKind.Field,
  function: vscode.CompletionItemKind.Function,
  aggregation: vscode.CompletionItemKind.Function,
  keyword: vscode.CompletionItemKind.Keyword,
  label: vscode.CompletionItemKind.Property,
  value: vscode.CompletionItemKind.Value,
  duration: vscode.CompletionItemKind.Unit,
  placeholder: vscode.CompletionItemKind.Variable,
};

/** Variables a `promql` cell may use: the linked plan's, and the runbook's front matter keys. */
const CELL_VARIABLES = ['candidate.version', 'baseline.version', 'metadata.service', 'metadata.name', 'model.name'];

function toItem(document: vscode.TextDocument, proposal: PromqlCompletionItem): vscode.CompletionItem {
  const item = new vscode.CompletionItem(proposal.label, itemKinds[proposal.kind]);
  if (proposal.detail !== undefined) item.detail = proposal.detail;
  if (proposal.documentation !== undefined) item.documentation = new vscode.MarkdownString(proposal.documentation);
  item.insertText = proposal.insertText;
  item.range = toRange(document, proposal.start, proposal.end);
  item.sortText = proposal.sortText;
  // VS Code filters by the text in the range; a label value inside quotes matches the label.
  item.filterText = proposal.kind === 'placeholder' ? proposal.insertText : proposal.label;
  return item;
}

/**
 * PromQL completion and hover in guardrail queries of plans and in `promql` cells: Prometheus's
 * functions and keywords always; metric names, labels, values and metric metadata from the plan's
 * Prometheus (the linked plan's for a cell) in a trusted workspace, falling back to the static
 * list at once when it is unreachable or slow.
 */
export function registerPromqlEditing(log: vscode.LogOutputChannel, sources: PromqlSources): vscode.Disposable {
  const catalogFor = async (document: vscode.TextDocument): Promise<PrometheusCatalog | undefined> => {
    const planText = isPlanDocument(document) ? document.getText() : await sources.linkedPlanText(document);
    return planText === undefined ? undefined : sources.forPlanText(planText);
  };

  // Metric items remember the catalog they came from, so resolving one can show its type and help.
  const metricSources = new WeakMap<vscode.CompletionItem, PrometheusCatalog>();

  const completion: vscode.CompletionItemProvider = {
    async provideCompletionItems(document, position, token) {
      try {
        const offset = document.offsetAt(position);
        const catalog = await catalogFor(document);
        if (token.isCancellationRequested) return [];
        const remember = (item: vscode.CompletionItem, kind: PromqlCompletionKind): vscode.CompletionItem => {
          if (catalog && kind === 'metric') metricSources.set(item, catalog);
          return item;
        };
        if (isPlanDocument(document)) {
          const items = await completePlanQuery(document.getText(), offset, catalog ? { catalog } : {});
          return items.map((proposal) => remember(toItem(document, proposal), proposal.kind));
        }
        const notebook = sources.notebookOf(document);
        const frontMatter = notebook ? Object.keys(runbookMetadata(notebook).frontMatter) : [];
        const items = await completePromql(document.getText(), offset, { placeholders: [...CELL_VARIABLES, ...frontMatter], ...(catalog ? { catalog } : {}) });
        return items.map((proposal) => remember(toItem(document, proposal), proposal.kind));
      } catch (error) {
        log.error(`PromQL completion in ${document.uri.toString()} failed`, error);
        return [];
      }
    },
    async resolveCompletionItem(item) {
      const catalog = metricSources.get(item);
      const name = typeof item.label === 'string' ? item.label : item.label.label;
      if (!catalog) return item;
      const metadata = await catalog.metadata(name).catch(() => null);
      if (metadata !== null) item.documentation = new vscode.MarkdownString(metricHoverMarkdown(name, metadata, catalog.baseUrl));
      return item;
    },
  };

  const hover: vscode.HoverProvider = {
    async provideHover(document, position) {
      try {
        const offset = document.offsetAt(position);
        const target: PlanQueryHoverTarget | undefined = isPlanDocument(document) ? planQueryHoverTarget(document.getText(), offset) : promqlHoverTarget(document.getText(), offset);
        if (!target) return undefined;
        const range = toRange(document, target.start, target.end);
        if (target.kind === 'function') return new vscode.Hover(new vscode.MarkdownString(target.markdown), range);
        const catalog = await catalogFor(document);
        if (!catalog) return undefined;
        const metadata = await catalog.metadata(target.name).catch(() => null);
        if (metadata === null) return undefined;
        return new vscode.Hover(new vscode.MarkdownString(metricHoverMarkdown(target.name, metadata, catalog.baseUrl)), range);
      } catch (error) {
        log.error(`PromQL hover in ${document.uri.toString()} failed`, error);
        return undefined;
      }
    },
  };

  const selector = [...(PLAN_SELECTOR as vscode.DocumentFilter[]), ...(PROMQL_SELECTOR as vscode.DocumentFilter[])];
  return vscode.Disposable.from(
    // `{` opens label names, `"`/`=`/`,` values and further matchers, `(` arguments and grouping labels.
    vscode.languages.registerCompletionItemProvider(selector, completion, '{', '"', '=', ',', '(', '['),
    vscode.languages.registerHoverProvider(selector, hover),
  );
}

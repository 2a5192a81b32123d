import * as vscode from 'vscode';
import type { SecretResolver } from '../core/cells/index';
import { PrometheusCatalog } from '../core/endpoints/index';
import { planMetricEndpoint } from '../core/plan/index';
import { linkedPlanUri, readPlanText } from './runbookPromql';
import { runbookMetadata } from './runbookSerializer';

/**
 * Where a PromQL editor asks for metric names, labels and metadata: the plan's Prometheus (or, for
 * a `promql` cell, that of the runbook's linked plan). Only in a trusted workspace: an untrusted
 * folder's plan must not make the editor send requests (with a stored token) to a URL it names.
 * One cached catalog per URL and token; a missing secret means no live answers, never a prompt.
 */
export class PromqlSources {
  private readonly catalogs = new Map<string, PrometheusCatalog>();

  constructor(private readonly secrets: SecretResolver) {}

  /** The catalog for a plan's text, or undefined (untrusted, no usable URL, secret not set). */
  async forPlanText(planText: string): Promise<PrometheusCatalog | undefined> {
    if (!vscode.workspace.isTrusted) return undefined;
    const endpoint = planMetricEndpoint(planText);
    if (!endpoint) return undefined;
    let token: string | undefined;
    if (endpoint.tokenSecret) {
      token = await this.secrets.get(endpoint.tokenSecret);
      if (!token) return undefined;
    }
    const key = `${endpoint.url}\0${endpoint.tokenSecret ?? ''}\0${token ?? ''}`;
    let catalog = this.catalogs.get(key);
    if (!catalog) {
      if (this.catalogs.size > 20) this.catalogs.clear();
      this.catalogs.set(key, (catalog = PrometheusCatalog.connect(endpoint.url, token)));
    }
    return catalog;
  }

  /** The notebook a cell document belongs to, if it is an open runbook's cell. */
  notebookOf(document: vscode.TextDocument): vscode.NotebookDocument | undefined {
    if (document.uri.scheme !== 'vscode-notebook-cell') return undefined;
    return vscode.workspace.notebookDocuments.find((notebook) => notebook.getCells().some((cell) => cell.document === document));
  }

  /** The linked plan's text of the runbook a `promql` cell is in. */
  async linkedPlanText(document: vscode.TextDocument): Promise<string | undefined> {
    const notebook = this.notebookOf(document);
    if (!notebook) return undefined;
    const uri = linkedPlanUri(notebook.uri, runbookMetadata(notebook).plan);
    return uri ? readPlanText(uri) : undefined;
  }
}

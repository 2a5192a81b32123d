import { stat } from 'node:fs/promises';
import * as vscode from 'vscode';

import { errorMessage } from '../core/errors';
import { Ledger } from '../core/ledger/index';
import { firstOlderIndex, toChangelogEntry } from '../core/panel/model';
import type { PanelChangelog } from '../core/panel/protocol';

/** Entries per changelog message: the newest page, then older pages on request. */
export const CHANGELOG_PAGE = 200;

/**
 * The side panel's changelog, read from the ledger a page at a time, newest first. Reading stops
 * after the page, so a page costs the same however long the ledger is beyond it; older pages
 * are sliced from one full read kept while the file is unchanged.
 */
export class ChangelogPages {
  private entryCache: { key: string; entries?: PanelChangelog['entries']; loading?: Promise<void> } | undefined;

  constructor(private readonly log: vscode.LogOutputChannel) {}

  /** The newest entries of `service` (all services without one), or with `beforeSeq` the entries older than that one. */
  async page(file: string, service: string | undefined, mode: 'replace' | 'head' | 'append', beforeSeq?: number): Promise<PanelChangelog> {
    const source = vscode.workspace.asRelativePath(file);
    try {
      if (mode === 'append' && beforeSeq !== undefined) {
        // Until the full read is ready (it starts with the first older page) a page streams from the end.
        const all = await this.cachedEntries(file, service);
        if (all) {
          const start = firstOlderIndex(all, beforeSeq);
          return { mode, entries: all.slice(start, start + CHANGELOG_PAGE), hasMore: start + CHANGELOG_PAGE < all.length, source };
        }
      }
      const page: PanelChangelog['entries'] = [];
      let hasMore = false;
      for await (const entry of new Ledger({ path: file }).read({ newestFirst: true, ...(service ? { service } : {}) })) {
        if (beforeSeq !== undefined && entry.seq >= beforeSeq) continue;
        if (page.length === CHANGELOG_PAGE) {
          hasMore = true;
          break;
        }
        page.push(toChangelogEntry(entry));
      }
      return { mode, entries: page, hasMore, source };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { mode: 'replace', entries: [], hasMore: false, source };
      return { mode: 'replace', entries: [], hasMore: false, source, problem: `cannot read the ledger: ${errorMessage(error)}` };
    }
  }

  /** The whole (service-filtered) changelog if a read for the file as it is now is complete; else starts one. */
  private async cachedEntries(file: string, service: string | undefined): Promise<PanelChangelog['entries'] | undefined> {
    const info = await stat(file);
    const key = `${file}\0${info.size}\0${info.mtimeMs}\0${service ?? ''}`;
    if (this.entryCache?.key === key) return this.entryCache.entries;
    const cache: NonNullable<typeof this.entryCache> = { key };
    this.entryCache = cache;
    cache.loading = (async () => {
      const entries: PanelChangelog['entries'] = [];
      for await (const entry of new Ledger({ path: file }).read({ newestFirst: true, ...(service ? { service } : {}) })) entries.push(toChangelogEntry(entry));
      cache.entries = entries;
    })().catch((error: unknown) => {
      this.log.warn(`Rollgate: could not read the whole ledger: ${errorMessage(error)}`);
      if (this.entryCache === cache) this.entryCache = undefined;
    });
    return undefined;
  }
}

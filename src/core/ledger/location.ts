// Where the record of a plan or runbook lives: one rule for the CLI and the editor, so that a
// rollout started from a terminal shows in the side panel and the per-service lock is one lock,
// whatever the current directory or the folder VS Code opened (docs/ledger.md, "Where").
import { statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** The folder, under the record root, that holds the ledger and the rollout state. */
export const RECORD_FOLDER = '.rollgate';

/** Why a root was chosen, for people who wonder where their ledger went. */
export type RecordRootReason = 'rollgate-folder' | 'repository-root' | 'own-folder';

export interface RecordLocation {
  /** The folder holding `.rollgate/`. */
  root: string;
  /** `<root>/.rollgate/ledger.jsonl`. */
  ledgerPath: string;
  /** `<root>/.rollgate/state`: rollout state and service locks. */
  stateDir: string;
  reason: RecordRootReason;
}

/** What the rule reads from the file system; a seam for tests. */
export interface RecordFileSystem {
  isDirectory(path: string): boolean;
  exists(path: string): boolean;
}

const nodeFileSystem: RecordFileSystem = {
  isDirectory: (path) => statSync(path, { throwIfNoEntry: false })?.isDirectory() ?? false,
  exists: (path) => statSync(path, { throwIfNoEntry: false }) !== undefined,
};

/** The record files under a root folder. */
export function recordAt(root: string, reason: RecordRootReason = 'own-folder'): RecordLocation {
  return { root, ledgerPath: join(root, RECORD_FOLDER, 'ledger.jsonl'), stateDir: join(root, RECORD_FOLDER, 'state'), reason };
}

/**
 * The record root for work started in `folder` (a plan's or runbook's folder, or the current
 * directory when no file is named):
 * 1. inside a git repository, the nearest folder from `folder` up to the repository root that
 *    already holds `.rollgate/`;
 * 2. else the repository root (the nearest folder holding `.git`, a folder or a worktree file);
 * 3. outside any repository, `folder` itself.
 * The walk never leaves the repository, so a stray `.rollgate/` in a home or temp folder never
 * captures unrelated work.
 */
export function findRecordRoot(folder: string, fileSystem: RecordFileSystem = nodeFileSystem): RecordLocation {
  const start = resolve(folder);
  const walked: string[] = [];
  let repository: string | undefined;
  for (let current = start; ; current = dirname(current)) {
    walked.push(current);
    if (fileSystem.exists(join(current, '.git'))) {
      repository = current;
      break;
    }
    if (dirname(current) === current) break;
  }
  if (repository === undefined) return recordAt(start, 'own-folder');
  const existing = walked.find((candidate) => fileSystem.isDirectory(join(candidate, RECORD_FOLDER)));
  return existing !== undefined ? recordAt(existing, 'rollgate-folder') : recordAt(repository, 'repository-root');
}

/** The record location of a plan or runbook file (its folder is where the rule starts). */
export function recordLocationOf(file: string, fileSystem: RecordFileSystem = nodeFileSystem): RecordLocation {
  return findRecordRoot(dirname(resolve(file)), fileSystem);
}

/**
 * The editor's rule, in core so that a test can hold it against the CLI's: the plan's record
 * location, with the ledger file moved when the `rollgate.ledger.path` setting names one
 * (relative to the workspace folder). State and locks stay at the record root.
 */
export function editorRecordLocation(file: string, setting: { ledgerPath?: string; workspaceFolder?: string } = {}, fileSystem: RecordFileSystem = nodeFileSystem): RecordLocation {
  const location = recordLocationOf(file, fileSystem);
  if (!setting.ledgerPath) return location;
  return { ...location, ledgerPath: resolve(setting.workspaceFolder ?? location.root, setting.ledgerPath) };
}

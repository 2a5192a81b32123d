// Reading a file a user's text points at (a runbook's `plan:`, an http cell's `< ./body.json`):
// only a regular file, only inside the workspace (symbolic links resolved first), only up to a
// size. A runbook from elsewhere must not be able to read /etc/passwd or /proc/self/environ into
// a diagnostic or a request, nor hang on a FIFO or /dev/zero.
import { closeSync, constants, existsSync, fstatSync, openSync, promises as fs, readSync, realpathSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';

/** A referenced file that may not, or cannot, be read; the message says which and why. */
export class ConfinedFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfinedFileError';
  }
}

const megabytes = (bytes: number) => `${Math.round((bytes / (1024 * 1024)) * 10) / 10} MB`;

/** True when `path` is `root` or below it (both already absolute and resolved). */
export function isInside(path: string, root: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel) && rel.split(sep)[0] !== '..');
}

/**
 * The folder a runbook's references are confined to: its repository (the nearest folder above it
 * holding `.git`), else `cwd` when the runbook lies below it, else the runbook's own folder.
 */
export function workspaceRootFor(filePath: string, cwd?: string): string {
  const absolute = resolve(filePath);
  for (let folder = dirname(absolute); ; folder = dirname(folder)) {
    if (existsSync(join(folder, '.git'))) return folder;
    if (dirname(folder) === folder) break;
  }
  if (cwd && isInside(absolute, resolve(cwd))) return resolve(cwd);
  return dirname(absolute);
}

interface Checked {
  real: string;
}

function check(path: string, root: string, what: string, shown: string): Checked {
  let real: string;
  let realRoot: string;
  try {
    realRoot = realpathSync(root);
  } catch {
    realRoot = resolve(root);
  }
  try {
    real = realpathSync(path);
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    throw new ConfinedFileError(code === 'ENOENT' ? `${what} ${shown} does not exist.` : `${what} ${shown} cannot be read (${code ?? String(cause)}).`);
  }
  if (!isInside(real, realRoot)) {
    throw new ConfinedFileError(`${what} ${shown} is outside the workspace (${realRoot}); only files inside it can be used.`);
  }
  return { real };
}

/** `a folder`, `a FIFO (named pipe)`, `a device`…: what a path is when it is not a regular file. */
export function describeKind(stats: { isDirectory(): boolean; isFIFO(): boolean; isCharacterDevice(): boolean; isSocket(): boolean }): string {
  if (stats.isDirectory()) return 'a folder';
  if (stats.isFIFO()) return 'a FIFO (named pipe)';
  if (stats.isCharacterDevice()) return 'a device';
  if (stats.isSocket()) return 'a socket';
  return 'not a regular file';
}

/**
 * The real path of `path` (absolute, or relative to `base`) when it is a regular file inside
 * `root`, without reading it; throws {@link ConfinedFileError} saying why not. For callers that
 * read through another API (the editor reads an open document, with its unsaved edits).
 */
export function locateConfinedFile(path: string, options: { base: string; root: string; what: string }): string {
  const { real } = check(resolve(options.base, path), options.root, options.what, path);
  const stats = statSync(real);
  if (!stats.isFile()) throw new ConfinedFileError(`${options.what} ${path} is ${describeKind(stats)}, not a regular file.`);
  return real;
}

/**
 * Reads `path` (absolute, or relative to `base`) when it is a regular file inside `root` of at
 * most `maxBytes`; throws {@link ConfinedFileError} saying why not. `what` names the file for
 * messages ("the linked plan", "the body file").
 */
export function readConfinedFileSync(path: string, options: { base: string; root: string; maxBytes: number; what: string }): Buffer {
  const absolute = resolve(options.base, path);
  const { real } = check(absolute, options.root, options.what, path);
  const stats = statSync(real);
  if (!stats.isFile()) throw new ConfinedFileError(`${options.what} ${path} is ${describeKind(stats)}, not a regular file.`);
  if (stats.size > options.maxBytes) throw new ConfinedFileError(`${options.what} ${path} is ${megabytes(stats.size)}, over the ${megabytes(options.maxBytes)} limit.`);
  // O_NONBLOCK: should the file have been swapped for a FIFO since the check, opening does not hang.
  const handle = openSync(real, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    if (!fstatSync(handle).isFile()) throw new ConfinedFileError(`${options.what} ${path} is not a regular file.`);
    const buffer = Buffer.alloc(Math.min(stats.size, options.maxBytes) + 1);
    let read = 0;
    for (;;) {
      const count = readSync(handle, buffer, read, buffer.length - read, null);
      if (count === 0) break;
      read += count;
      if (read > options.maxBytes) throw new ConfinedFileError(`${options.what} ${path} grew over the ${megabytes(options.maxBytes)} limit while it was read.`);
      if (read === buffer.length) break;
    }
    return buffer.subarray(0, read);
  } finally {
    closeSync(handle);
  }
}

/** {@link readConfinedFileSync} without blocking the event loop. */
export async function readConfinedFile(path: string, options: { base: string; root: string; maxBytes: number; what: string }): Promise<Buffer> {
  const absolute = resolve(options.base, path);
  const { real } = check(absolute, options.root, options.what, path);
  const stats = await fs.stat(real);
  if (!stats.isFile()) throw new ConfinedFileError(`${options.what} ${path} is ${describeKind(stats)}, not a regular file.`);
  if (stats.size > options.maxBytes) throw new ConfinedFileError(`${options.what} ${path} is ${megabytes(stats.size)}, over the ${megabytes(options.maxBytes)} limit.`);
  const handle = await fs.open(real, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    if (!(await handle.stat()).isFile()) throw new ConfinedFileError(`${options.what} ${path} is not a regular file.`);
    const buffer = Buffer.alloc(Math.min(stats.size, options.maxBytes) + 1);
    let read = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, read, buffer.length - read, null);
      if (bytesRead === 0) break;
      read += bytesRead;
      if (read > options.maxBytes) throw new ConfinedFileError(`${options.what} ${path} grew over the ${megabytes(options.maxBytes)} limit while it was read.`);
      if (read === buffer.length) break;
    }
    return buffer.subarray(0, read);
  } finally {
    await handle.close();
  }
}

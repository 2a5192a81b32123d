import type { LineEnding } from './types';

/**
 * Start offsets of every line of `text` plus a final entry equal to `text.length`. Lines end
 * at "\r\n", "\r" or "\n", the same rule markdown-it applies when it normalises input, so line
 * numbers from its token maps index straight into this array. A text ending with a line ending
 * has no extra empty last line (markdown-it counts the same way).
 */
export function lineStartOffsets(text: string): number[] {
  const starts: number[] = [];
  const length = text.length;
  if (length === 0) return [0];
  starts.push(0);
  if (text.indexOf('\r') === -1) {
    // Fast path for the common case: native indexOf over "\n" only.
    let at = text.indexOf('\n');
    while (at !== -1 && at + 1 < length) {
      starts.push(at + 1);
      at = text.indexOf('\n', at + 1);
    }
  } else {
    for (let i = 0; i < length; i++) {
      const ch = text.charCodeAt(i);
      if (ch === 13 /* \r */) {
        if (text.charCodeAt(i + 1) === 10) i++;
        if (i + 1 < length) starts.push(i + 1);
      } else if (ch === 10 /* \n */ && i + 1 < length) {
        starts.push(i + 1);
      }
    }
  }
  starts.push(length);
  return starts;
}

/** The line ending that closes `text`, or '' if it ends without one. */
export function trailingLineEnding(text: string): LineEnding | '' {
  const last = text.charCodeAt(text.length - 1);
  if (last === 10) return text.charCodeAt(text.length - 2) === 13 ? '\r\n' : '\n';
  if (last === 13) return '\r';
  return '';
}

/** The first line ending in `text`, or undefined if it has none. */
export function firstLineEnding(text: string): LineEnding | undefined {
  const newline = text.indexOf('\n');
  const carriage = text.indexOf('\r');
  if (carriage === -1) return newline === -1 ? undefined : '\n';
  if (newline === -1 || carriage < newline) return text.charCodeAt(carriage + 1) === 10 ? '\r\n' : '\r';
  return '\n';
}

/** True when the line [start, end) holds only spaces and tabs before its line ending. */
export function isBlankLine(text: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const ch = text.charCodeAt(i);
    if (ch !== 32 && ch !== 9 && ch !== 10 && ch !== 13) return false;
  }
  return true;
}

/** Splits text into lines that keep their own line endings ("a\r\nb" -> ["a\r\n", "b"]). */
export function splitKeepingLineEndings(text: string): string[] {
  const starts = lineStartOffsets(text);
  const lines: string[] = [];
  for (let i = 0; i + 1 < starts.length; i++) lines.push(text.slice(starts[i], starts[i + 1]));
  return lines;
}

import { promises as fs } from 'node:fs';

const newline = 0x0a;
const chunkBytes = 1 << 16;

/** One line of a file, without its newline. */
export interface FileLine {
  /** 1-based line number (only known when reading forwards; 0 when reading backwards). */
  number: number;
  /** Byte offset of the line's first byte. */
  start: number;
  /** Byte offset just past the line's last byte (its newline, if any, not included). */
  end: number;
  text: string;
  /** False for a final line with no newline after it. */
  terminated: boolean;
}

/** Reads a file forwards line by line in fixed-size chunks, so a large ledger is never held whole. */
export async function* readLinesForward(path: string): AsyncGenerator<FileLine> {
  for await (const batch of readLineBatches(path)) yield* batch;
}

/**
 * Reads a file forwards in fixed-size chunks and yields the lines completed by each chunk
 * together: one await per chunk instead of one per line, which matters for `verify` on large files.
 */
export async function* readLineBatches(path: string): AsyncGenerator<FileLine[]> {
  const handle = await fs.open(path, 'r');
  try {
    const buffer = Buffer.allocUnsafe(chunkBytes);
    let pending: Buffer[] = [];
    let pendingStart = 0;
    let position = 0;
    let number = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, chunkBytes, position);
      if (bytesRead === 0) break;
      const batch: FileLine[] = [];
      let lineStart = 0;
      for (;;) {
        const index = buffer.indexOf(newline, lineStart);
        if (index === -1 || index >= bytesRead) break;
        const piece = buffer.subarray(lineStart, index);
        const bytes = pending.length > 0 ? Buffer.concat([...pending, piece]) : piece;
        number += 1;
        batch.push({ number, start: pendingStart, end: position + index, text: bytes.toString('utf8'), terminated: true });
        pending = [];
        lineStart = index + 1;
        pendingStart = position + lineStart;
      }
      if (lineStart < bytesRead) pending.push(Buffer.from(buffer.subarray(lineStart, bytesRead)));
      position += bytesRead;
      if (batch.length > 0) yield batch;
    }
    if (pending.length > 0) {
      number += 1;
      yield [{ number, start: pendingStart, end: position, text: Buffer.concat(pending).toString('utf8'), terminated: false }];
    }
  } finally {
    await handle.close();
  }
}

/**
 * Reads a file backwards line by line, newest line first, in fixed-size chunks. The final
 * line is reported with `terminated: false` when the file does not end with a newline.
 */
export async function* readLinesBackward(path: string): AsyncGenerator<FileLine> {
  const handle = await fs.open(path, 'r');
  try {
    const { size } = await handle.stat();
    yield* linesBackward(handle, size);
  } finally {
    await handle.close();
  }
}

/** Lines of `handle` ending at or before byte `end`, last first. */
export async function* linesBackward(handle: fs.FileHandle, end: number): AsyncGenerator<FileLine> {
  if (end === 0) return;
  const buffer = Buffer.allocUnsafe(chunkBytes);
  // Bytes after the last newline seen so far, in file order, as chunks read backwards.
  let tail: Buffer[] = [];
  let position = end;
  let lastByteChecked = false;
  let terminated = true;
  while (position > 0) {
    const readFrom = Math.max(0, position - chunkBytes);
    const length = position - readFrom;
    const { bytesRead } = await handle.read(buffer, 0, length, readFrom);
    const chunk = buffer.subarray(0, bytesRead);
    let stop = chunk.length;
    if (!lastByteChecked) {
      lastByteChecked = true;
      if (chunk[chunk.length - 1] === newline) stop -= 1;
      else terminated = false;
    }
    for (;;) {
      const index = chunk.lastIndexOf(newline, stop - 1);
      if (index === -1 || stop === 0) break;
      const bytes = Buffer.concat([chunk.subarray(index + 1, stop), ...tail]);
      tail = [];
      yield { number: 0, start: readFrom + index + 1, end: readFrom + index + 1 + bytes.length, text: bytes.toString('utf8'), terminated };
      terminated = true;
      stop = index;
    }
    tail.unshift(Buffer.from(chunk.subarray(0, stop)));
    position = readFrom;
  }
  // Whatever precedes the first newline is the first line, even when empty.
  const first = Buffer.concat(tail);
  yield { number: 0, start: 0, end: first.length, text: first.toString('utf8'), terminated };
}

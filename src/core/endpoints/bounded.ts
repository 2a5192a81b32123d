// Reading an answer with a bound on its size, compressed or not. A hostile or broken endpoint can
// send a few KB that decode to gigabytes (`content-encoding: gzip, gzip`); decoding is streamed,
// counted, and stopped at the limit, and it runs on the event loop in small steps, so the
// caller's deadline still fires while it goes on.
import { Transform, type Readable } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate, createInflateRaw } from 'node:zlib';

/** An answer larger than this, raw or decoded, is not read to the end. */
export const MAX_ANSWER_BYTES = 32 * 1024 * 1024;

const megabytes = (bytes: number) => `${Math.round(bytes / (1024 * 1024))} MB`;

/** The answer is larger than the limit, or does not decode: a problem with the answer, not with reaching the endpoint. */
export class AnswerTooLargeError extends Error {
  constructor(
    readonly limit: number,
    readonly decoded: boolean,
  ) {
    super(
      decoded
        ? `the answer decodes to more than ${megabytes(limit)}; Rollgate stopped decoding it (narrow the request)`
        : `the answer is larger than ${megabytes(limit)}; Rollgate stopped reading it (narrow the request)`,
    );
    this.name = 'AnswerTooLargeError';
  }
}

export class UndecodableAnswerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UndecodableAnswerError';
  }
}

/** The codings of a `Content-Encoding` header, in the order they were applied. */
export function contentCodings(header: string | undefined): string[] {
  if (!header) return [];
  return header
    .split(',')
    .map((part) => part.trim().toLowerCase())
    .filter((coding) => coding !== '' && coding !== 'identity');
}

/**
 * "deflate" is meant to be zlib-wrapped, but some servers send the raw stream (fetch takes both):
 * the first two bytes tell which.
 */
function inflateEither(): Transform {
  let inner: Transform | undefined;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      if (!inner) {
        const zlibWrapped = chunk.length >= 2 && (chunk[0]! & 0x0f) === 8 && ((chunk[0]! << 8) | chunk[1]!) % 31 === 0;
        inner = zlibWrapped ? createInflate() : createInflateRaw();
        inner.on('data', (data: Buffer) => this.push(data));
        inner.on('error', (error) => this.destroy(error));
      }
      if (inner.write(chunk)) done();
      else inner.once('drain', () => done());
    },
    flush(done) {
      if (!inner) return done();
      inner.once('end', () => done());
      inner.end();
    },
  });
}

function decoderFor(coding: string): Transform {
  switch (coding) {
    case 'gzip':
    case 'x-gzip':
      return createGunzip();
    case 'deflate':
      return inflateEither();
    case 'br':
      return createBrotliDecompress();
    default:
      throw new UndecodableAnswerError(`the answer uses content-encoding "${coding}", which Rollgate cannot decode`);
  }
}

/**
 * Reads `source` to the end through the decoders its `Content-Encoding` names (undone last to
 * first), counting raw and decoded bytes; stops and rejects with {@link AnswerTooLargeError} at
 * `limit`. `source` is destroyed on any failure, so nothing keeps reading in the background.
 */
export function readDecoded(source: Readable, contentEncoding: string | undefined, limit = MAX_ANSWER_BYTES): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let codings: string[];
    let decoders: Transform[];
    try {
      codings = contentCodings(contentEncoding).reverse();
      decoders = codings.map(decoderFor);
    } catch (error) {
      source.destroy();
      reject(error);
      return;
    }
    let settled = false;
    const stages: Readable[] = [source, ...decoders];
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      for (const stage of stages) stage.destroy();
      reject(error);
    };
    let raw = 0;
    source.on('data', (chunk: Buffer) => {
      raw += chunk.length;
      if (raw > limit) fail(new AnswerTooLargeError(limit, false));
    });
    source.on('error', fail);
    let current: Readable = source;
    decoders.forEach((decoder, index) => {
      decoder.on('error', (error: Error) =>
        fail(error instanceof UndecodableAnswerError ? error : new UndecodableAnswerError(`the answer says content-encoding "${codings[index]}" but does not decode as such (${error.message})`)),
      );
      current = current.pipe(decoder);
    });
    const chunks: Buffer[] = [];
    let decoded = 0;
    const last = current;
    const collect = (chunk: Buffer) => {
      decoded += chunk.length;
      if (decoded > limit) return fail(new AnswerTooLargeError(limit, decoders.length > 0));
      chunks.push(chunk);
    };
    if (last === source) {
      // No decoder: the raw count above is the whole story.
      source.on('data', (chunk: Buffer) => {
        if (!settled) chunks.push(chunk);
      });
    } else last.on('data', collect);
    last.on('end', () => {
      if (settled) return;
      settled = true;
      resolve(Buffer.concat(chunks));
    });
    // A response that is aborted mid-body ends without 'end' on some Node versions.
    source.on('aborted', () => fail(Object.assign(new Error('the connection closed before the whole answer arrived'), { code: 'ECONNRESET' })));
  });
}

/**
 * Reads a web stream (a `fetch` body, already decoded by fetch) up to `limit` bytes; cancels it
 * and rejects with {@link AnswerTooLargeError} beyond. fetch decodes as it is read, so stopping
 * reading stops decoding.
 */
export async function readWebStreamBounded(body: ReadableStream<Uint8Array> | null, decoded: boolean, limit = MAX_ANSWER_BYTES): Promise<Buffer> {
  if (!body) return Buffer.alloc(0);
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      throw new AnswerTooLargeError(limit, decoded);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

// The body of an http cell, built as REST Client and httpYac build it: lines joined with "\n"
// (CRLF for multipart/form-data), `< ./file` lines replaced by the file's bytes, form bodies over
// several lines joined and URL-encoded, GraphQL sent as JSON `{"query", "variables"}`.
import type { Diagnostic } from '../diagnostics';
import { ConfinedFileError, readConfinedFileSync } from '../files/confined';
import type { BodyLine, TextPiece } from './httpParse';
import { error } from './prepared';
import { renderTemplate, type ResolvedTemplate, type SecretWriter } from './variables';

/** A body file larger than this is refused (REST Client streams at most 10 MB too). */
export const MAX_BODY_FILE_BYTES = 10 * 1024 * 1024;

/** Where `< ./file` paths are resolved (the runbook's folder) and the folder they must stay in. */
export interface BodyFiles {
  base: string;
  root: string;
}

type Segment = { kind: 'text'; template: ResolvedTemplate; form: boolean } | { kind: 'bytes'; data: Buffer };

export type BodyPlan = { kind: 'segments'; segments: Segment[] } | { kind: 'graphql'; query: ResolvedTemplate; variables?: ResolvedTemplate; operationName?: string; style: 'rest-client' | 'httpyac' };

const literal = (text: string): ResolvedTemplate => ({ parts: [{ kind: 'text', text }], unresolved: [], secrets: [] });

/** Characters a URL may hold as they are, and `%` followed by two hex digits (an escape already made). */
const NEEDS_ESCAPE = /(?:[^\x21\x23-\x3B\x3D\x3F-\x5F\x61-\x7A\x7C\x7E]|%(?:[^0-9A-Fa-f]|[0-9A-Fa-f][^0-9A-Fa-f]|$))+/g;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * URL-encodes a form body the way REST Client's default "automatic" strategy (and httpYac) do:
 * every character a URL may not hold is percent-encoded as UTF-8; `%XX` escapes already written
 * are kept.
 */
export function encodeFormText(text: string): string {
  return text.replace(LONE_SURROGATE, '\uFFFD').replace(NEEDS_ESCAPE, (run) => encodeURI(run));
}

export interface BodyContext {
  contentType: string;
  /** `X-Request-Type: GraphQL` was written (REST Client's GraphQL request). */
  graphqlHeader: boolean;
  resolve: (piece: TextPiece) => ResolvedTemplate;
  files?: BodyFiles;
  diagnostics: Diagnostic[];
}

function readFile(line: Extract<BodyLine, { kind: 'file' }>, context: BodyContext): Buffer | undefined {
  if (!context.files) {
    context.diagnostics.push(error('http/file-body', `The file body \`< ${line.path}\` needs a saved runbook inside a workspace: its path is relative to the runbook.`, line.start, line.end));
    return undefined;
  }
  try {
    return readConfinedFileSync(line.path, { base: context.files.base, root: context.files.root, maxBytes: MAX_BODY_FILE_BYTES, what: 'The body file' });
  } catch (caught) {
    const message = caught instanceof ConfinedFileError ? caught.message : `The body file ${line.path} cannot be read: ${(caught as Error).message}`;
    context.diagnostics.push(error('http/file-body', message, line.start, line.end));
    return undefined;
  }
}

const isJsonType = (contentType: string) => contentType === '' || /json/i.test(contentType);
const HTTPYAC_GRAPHQL = /^\s*(query|mutation|subscription)(?:\s+([A-Za-z_]\w*))?\s*[({]/;

/** Splits the body lines at the first blank line: the GraphQL query, then its variables. */
function graphqlParts(lines: BodyLine[], context: BodyContext): { query: TextPiece[]; variables: TextPiece[] } | undefined {
  const text: TextPiece[] = [];
  for (const line of lines) {
    if (line.kind === 'file') {
      context.diagnostics.push(error('http/graphql-file', 'A file body (`< ./file`) in a GraphQL request is not supported in Rollgate http cells: write the query in the body.', line.start, line.end));
      return undefined;
    }
    text.push(line.piece);
  }
  while (text.length > 0 && text[0]!.text.trim() === '') text.shift();
  const blank = text.findIndex((piece) => piece.text.trim() === '');
  return blank === -1 ? { query: text, variables: [] } : { query: text.slice(0, blank), variables: text.slice(blank + 1) };
}

function joined(pieces: TextPiece[], context: BodyContext, separator: string): ResolvedTemplate {
  const templates = pieces.flatMap((piece, index) => (index === 0 ? [context.resolve(piece)] : [literal(separator), context.resolve(piece)]));
  return {
    parts: templates.flatMap((template) => template.parts),
    unresolved: templates.flatMap((template) => template.unresolved),
    secrets: [...new Set(templates.flatMap((template) => template.secrets))],
    refused: templates.flatMap((template) => template.refused ?? []),
  };
}

/** Builds the body from its lines; reads files now, so a missing one fails before anything is sent. */
export function planBody(lines: BodyLine[], context: BodyContext): BodyPlan | undefined {
  const first = lines.find((line) => line.kind === 'file' || line.piece.text.trim() !== '');
  const httpyacGraphql = !context.graphqlHeader && first?.kind === 'text' && isJsonType(context.contentType) ? HTTPYAC_GRAPHQL.exec(first.piece.text) : null;
  if (context.graphqlHeader || httpyacGraphql) {
    const parts = graphqlParts(lines, context);
    if (!parts) return undefined;
    const variables = parts.variables.some((piece) => piece.text.trim() !== '') ? joined(parts.variables, context, '\n') : undefined;
    return {
      kind: 'graphql',
      query: joined(parts.query, context, '\n'),
      ...(variables ? { variables } : {}),
      ...(httpyacGraphql?.[2] ? { operationName: httpyacGraphql[2] } : {}),
      style: context.graphqlHeader ? 'rest-client' : 'httpyac',
    };
  }
  const multipart = /^\s*multipart\/form-data/i.test(context.contentType);
  const form = /^\s*application\/x-www-form-urlencoded/i.test(context.contentType);
  const lineEnding = multipart ? '\r\n' : '\n';
  const hasFiles = lines.some((line) => line.kind === 'file');
  const segments: Segment[] = [];
  lines.forEach((line, index) => {
    if (index > 0) {
      // A form body's lines starting with `&` continue the previous line (REST Client).
      const continues = form && !hasFiles && line.kind === 'text' && line.piece.text.startsWith('&');
      if (!continues) segments.push({ kind: 'text', template: literal(lineEnding), form: form && !hasFiles });
    }
    if (line.kind === 'text') {
      segments.push({ kind: 'text', template: context.resolve(line.piece), form: form && !hasFiles });
      return;
    }
    const bytes = readFile(line, context);
    if (!bytes) return;
    if (line.processVariables) {
      segments.push({ kind: 'text', template: context.resolve({ text: bytes.toString(line.encoding), start: line.start }), form: false });
    } else segments.push({ kind: 'bytes', data: bytes });
  });
  if (/^\s*application\/x-ndjson/i.test(context.contentType)) segments.push({ kind: 'text', template: literal('\n'), form: false });
  return { kind: 'segments', segments };
}

/** Every template in the body, for collecting unresolved variables and secrets. */
export function bodyTemplates(plan: BodyPlan): ResolvedTemplate[] {
  if (plan.kind === 'graphql') return [plan.query, ...(plan.variables ? [plan.variables] : [])];
  return plan.segments.flatMap((segment) => (segment.kind === 'text' ? [segment.template] : []));
}

/**
 * The body's bytes with secrets written by `writeSecret`: their values when sending, markers for
 * the record (`recording`: a marker is shown as it is, never form-encoded). Throws
 * {@link GraphqlVariablesError} for GraphQL variables that are not JSON.
 */
export function renderBody(plan: BodyPlan, writeSecret: SecretWriter, recording = false): string | Buffer {
  if (plan.kind === 'graphql') {
    const query = renderTemplate(plan.query, writeSecret);
    let variables: unknown;
    if (plan.variables) {
      const text = renderTemplate(plan.variables, writeSecret);
      try {
        variables = JSON.parse(text);
      } catch (caught) {
        throw new GraphqlVariablesError(`the GraphQL variables after the query are not JSON (${(caught as Error).message})`);
      }
    }
    if (plan.style === 'rest-client') return JSON.stringify({ query, variables: variables ?? {} });
    return JSON.stringify({ query, ...(plan.operationName ? { operationName: plan.operationName } : {}), ...(plan.variables ? { variables } : {}) });
  }
  const pieces = plan.segments.map((segment) => {
    if (segment.kind === 'bytes') return segment.data;
    if (!segment.form) return renderTemplate(segment.template, writeSecret);
    let text = '';
    for (const part of segment.template.parts) {
      if (part.kind === 'text') text += encodeFormText(part.text);
      else text += recording ? writeSecret(part.name) : encodeFormText(writeSecret(part.name));
    }
    return text;
  });
  if (pieces.every((piece) => typeof piece === 'string')) return pieces.join('');
  return Buffer.concat(pieces.map((piece) => (typeof piece === 'string' ? Buffer.from(piece, 'utf8') : piece)));
}

export class GraphqlVariablesError extends Error {}

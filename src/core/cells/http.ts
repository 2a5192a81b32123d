import type { Diagnostic } from '../diagnostics';
import { parseDuration } from '../plan/schema';
import { durationAttribute, error, type ExecuteRuntime, type PrepareContext, type PrepareResult } from './prepared';
import { maskCredentialHeaders } from './redact';
import type { CellOutput, HttpRequest, Parsed } from './types';
import { renderTemplate, resolveTemplate, unresolvedDiagnostics, type ResolvedTemplate } from './variables';

/** A slice of the cell body, kept with its offset so diagnostics point into the cell. */
export interface TextPiece {
  text: string;
  start: number;
}

/** A REST Client-style request before variables are resolved. */
export interface HttpRequestTemplate {
  method: string;
  /** Where the method was written; absent when the request line is only a URL (GET). */
  methodSpan?: { start: number; end: number };
  /** The URL, plus continuation lines starting with `?` or `&`. */
  url: TextPiece[];
  headers: Array<{ name: string; nameStart: number; value: TextPiece }>;
  body?: TextPiece;
}

export const HTTP_METHODS = ['GET', 'HEAD', 'OPTIONS', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const HEADER_LINE = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+)[ \t]*:[ \t]*(.*?)[ \t]*$/;
const DEFAULT_TIMEOUT_MS = 30_000;

function splitLines(text: string): TextPiece[] {
  const lines: TextPiece[] = [];
  let start = 0;
  for (const match of text.matchAll(/\r?\n/g)) {
    lines.push({ text: text.slice(start, match.index), start });
    start = match.index + match[0].length;
  }
  lines.push({ text: text.slice(start), start });
  return lines;
}

const isComment = (line: string) => /^\s*(#|\/\/)/.test(line);
const isBlank = (line: string) => line.trim() === '';

/**
 * Parses an http cell: optional comment lines, the request line (`METHOD URL [HTTP/1.1]`, or a
 * bare URL for GET), continuation lines starting with `?`/`&`, header lines, a blank line, the body.
 */
export function parseHttpCell(text: string): Parsed<HttpRequestTemplate> {
  const diagnostics: Diagnostic[] = [];
  const lines = splitLines(text);
  let index = 0;
  while (index < lines.length && (isBlank(lines[index]!.text) || isComment(lines[index]!.text))) index++;
  const requestLine = lines[index];
  if (!requestLine) {
    diagnostics.push(error('http/missing-request-line', 'An http cell needs a request line, e.g. `GET {{endpoints.deployment.url}}/v1/services/{{metadata.service}}`.', 0, text.length));
    return { diagnostics };
  }
  const leading = requestLine.text.length - requestLine.text.trimStart().length;
  const line = requestLine.text.trim();
  const lineStart = requestLine.start + leading;
  let method = 'GET';
  let methodSpan: { start: number; end: number } | undefined;
  let urlText = line;
  let urlStart = lineStart;
  const split = /^([A-Za-z]+)\s+(\S.*)$/.exec(line);
  if (split) {
    const word = split[1]!;
    methodSpan = { start: lineStart, end: lineStart + word.length };
    method = word.toUpperCase();
    urlText = split[2]!;
    urlStart = lineStart + line.indexOf(urlText, word.length);
    if (!(HTTP_METHODS as readonly string[]).includes(method)) {
      diagnostics.push(error('http/unknown-method', `Unknown HTTP method "${word}"; use one of ${HTTP_METHODS.join(', ')}.`, methodSpan.start, methodSpan.end));
    }
  }
  const version = /\s+HTTP\/\d(\.\d)?$/i.exec(urlText);
  if (version) urlText = urlText.slice(0, version.index);
  const url: TextPiece[] = [{ text: urlText, start: urlStart }];
  index++;
  while (index < lines.length && /^\s*[?&]/.test(lines[index]!.text)) {
    const continuation = lines[index]!;
    const offset = continuation.text.length - continuation.text.trimStart().length;
    url.push({ text: continuation.text.trim(), start: continuation.start + offset });
    index++;
  }
  const headers: HttpRequestTemplate['headers'] = [];
  for (; index < lines.length; index++) {
    const header = lines[index]!;
    if (isBlank(header.text)) break;
    if (isComment(header.text)) continue;
    const match = HEADER_LINE.exec(header.text);
    if (!match) {
      diagnostics.push(error('http/bad-header', 'Expected a header line `Name: value`, or a blank line before the body.', header.start, header.start + header.text.length));
      continue;
    }
    const valueStart = header.start + header.text.indexOf(match[2]!, match[1]!.length + 1);
    headers.push({ name: match[1]!, nameStart: header.start, value: { text: match[2]!, start: valueStart } });
  }
  let body: TextPiece | undefined;
  const bodyLine = lines[index + 1];
  if (index < lines.length && bodyLine) {
    const rest = text.slice(bodyLine.start).replace(/\s+$/, '');
    if (rest.trim() !== '') body = { text: rest, start: bodyLine.start };
  }
  if (diagnostics.length > 0) return { diagnostics };
  return { value: { method, ...(methodSpan ? { methodSpan } : {}), url, headers, ...(body ? { body } : {}) }, diagnostics };
}

/** True for methods that change something (every method except GET, HEAD and OPTIONS). */
export function isMutatingMethod(method: string): boolean {
  return !SAFE_METHODS.has(method.toUpperCase());
}

interface ResolvedHttp {
  method: string;
  url: ResolvedTemplate;
  headers: Array<{ name: string; value: ResolvedTemplate }>;
  body?: ResolvedTemplate;
}

function joinTemplates(templates: ResolvedTemplate[]): ResolvedTemplate {
  return {
    parts: templates.flatMap((template) => template.parts),
    unresolved: templates.flatMap((template) => template.unresolved),
    secrets: [...new Set(templates.flatMap((template) => template.secrets))],
  };
}

async function fill(template: ResolvedTemplate, runtime: ExecuteRuntime): Promise<string> {
  const values = new Map<string, string>();
  for (const name of template.secrets) values.set(name, await runtime.secret(name));
  return renderTemplate(template, (name) => values.get(name) ?? '');
}

function headerValue(headers: Record<string, string>, name: string): string | undefined {
  return headers[name.toLowerCase()];
}

// Parsing depends on the text alone, and a runbook re-runs the same few cells: keep recent parses.
const parseCache = new Map<string, Parsed<HttpRequestTemplate>>();
const PARSE_CACHE_SIZE = 256;

function parseCached(text: string): Parsed<HttpRequestTemplate> {
  let parsed = parseCache.get(text);
  if (!parsed) {
    parsed = parseHttpCell(text);
    if (parseCache.size >= PARSE_CACHE_SIZE) parseCache.delete(parseCache.keys().next().value!);
    parseCache.set(text, parsed);
  }
  return parsed;
}

/** Resolves an http cell's variables; the request is sent only by `execute`. */
export function prepareHttpCell(text: string, context: PrepareContext): PrepareResult {
  const parsed = parseCached(text);
  if (!parsed.value) return { diagnostics: parsed.diagnostics };
  const template = parsed.value;
  const resolved: ResolvedHttp = {
    method: template.method,
    url: joinTemplates(template.url.map((piece) => resolveTemplate(piece.text, context.scope, piece.start))),
    headers: template.headers.map((header) => ({ name: header.name, value: resolveTemplate(header.value.text, context.scope, header.value.start) })),
    ...(template.body ? { body: resolveTemplate(template.body.text, context.scope, template.body.start) } : {}),
  };
  const diagnostics = unresolvedDiagnostics([
    ...resolved.url.unresolved,
    ...resolved.headers.flatMap((header) => header.value.unresolved),
    ...(resolved.body?.unresolved ?? []),
  ]);
  const timeoutMs = durationAttribute(context.attributes, 'timeout', parseDuration, diagnostics) ?? DEFAULT_TIMEOUT_MS;
  if (diagnostics.length > 0) return { diagnostics };

  const shownUrl = renderTemplate(resolved.url);
  // Validate the URL with secrets replaced by a harmless stand-in: the markers' braces are not URL text.
  let parsedUrl: URL | undefined;
  try {
    parsedUrl = new URL(renderTemplate(resolved.url, () => 'secret'));
  } catch {
    parsedUrl = undefined;
  }
  const urlStart = template.url[0]!.start;
  const urlEnd = template.url[template.url.length - 1]!.start + template.url[template.url.length - 1]!.text.length;
  if (!parsedUrl || (parsedUrl.protocol !== 'http:' && parsedUrl.protocol !== 'https:')) {
    return { diagnostics: [error('http/bad-url', `"${shownUrl}" is not an http:// or https:// URL.`, urlStart, urlEnd)] };
  }
  const shownHeaders = maskCredentialHeaders(resolved.headers.map((header) => [header.name, renderTemplate(header.value)]));
  const shownBody = resolved.body ? renderTemplate(resolved.body) : undefined;
  const mutating = isMutatingMethod(resolved.method) || context.attributes.effect === 'mutate';
  return {
    diagnostics: [],
    prepared: {
      kind: 'http',
      mutating,
      request: { method: resolved.method, url: shownUrl, headers: shownHeaders, ...(shownBody !== undefined ? { body: shownBody } : {}) },
      target: {
        method: resolved.method,
        url: shownUrl,
        target: `${resolved.method} ${parsedUrl.host}${parsedUrl.pathname}`,
        ...(context.environment ? { environment: context.environment } : {}),
      },
      async execute(runtime) {
        const request: HttpRequest = {
          method: resolved.method,
          url: await fill(resolved.url, runtime),
          headers: [],
        };
        for (const header of resolved.headers) request.headers.push([header.name, await fill(header.value, runtime)]);
        if (resolved.body) request.body = await fill(resolved.body, runtime);
        const sentAt = performance.now();
        const response = await context.ports.http.send(request, { ...(runtime.signal ? { signal: runtime.signal } : {}), timeoutMs });
        const elapsedMs = Math.round(performance.now() - sentAt);
        const contentType = headerValue(response.headers, 'content-type') ?? '';
        let body: unknown = response.body;
        if (/json/i.test(contentType) || /^\s*[[{]/.test(response.body)) {
          try {
            body = JSON.parse(response.body);
          } catch {
            body = response.body;
          }
        }
        // Like REST Client: the status line with the time taken, the headers folded, then the body.
        const headerCount = Object.keys(response.headers).length;
        const outputs: CellOutput[] = [
          { kind: 'text', text: `${`HTTP ${response.status} ${response.statusText}`.trimEnd()} · ${elapsedMs} ms` },
          { kind: 'json', value: response.headers, collapsed: true, title: `Response headers (${headerCount})` },
        ];
        if (typeof body === 'string') {
          if (body !== '') outputs.push({ kind: 'text', text: body });
        } else outputs.push({ kind: 'json', value: body });
        const ok = response.status < 400;
        return {
          ok,
          outputs,
          status: response.status,
          value: { status: response.status, headers: response.headers, body },
          ...(ok ? {} : { error: `HTTP ${response.status} ${response.statusText}`.trimEnd() + errorDetail(body) }),
        };
      },
    },
  };
}

/** The `{ "error": { "message" } }` of the deployment API, or a short body, to say why it failed. */
function errorDetail(body: unknown): string {
  const message = (body as { error?: { message?: unknown } } | undefined)?.error?.message;
  if (typeof message === 'string') return `: ${message}`;
  if (typeof body === 'string' && body.trim() !== '') return `: ${body.trim().slice(0, 200)}`;
  return '';
}

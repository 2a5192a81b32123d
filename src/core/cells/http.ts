import type { Diagnostic } from '../diagnostics';
import { parseDuration } from '../plan/schema';
import { bodyTemplates, GraphqlVariablesError, planBody, renderBody, type BodyPlan } from './httpBody';
import { HTTP_METHODS, parseHttpCell, type HttpRequestTemplate, type TextPiece } from './httpParse';
import { requestVariable, scriptExpression, scriptVariable, systemVariable } from './httpSystemVariables';
import { summarizeWire, wireRequest } from './httpWire';
import { durationAttribute, error, type ExecuteRuntime, type PrepareContext, type PrepareResult } from './prepared';
import { maskCredentialHeaders } from './redact';
import type { CellOutput, HttpRequest, Parsed, RequestSummary } from './types';
import { findPlaceholders, lookupVariable, renderTemplate, resolveTemplate, secretMarker, unresolvedDiagnostics, type ExtraVariables, type ResolvedTemplate, type SecretWriter } from './variables';

export { HTTP_METHODS, parseHttpCell, type HttpRequestTemplate, type TextPiece };

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const DEFAULT_TIMEOUT_MS = 30_000;
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL_CHARACTER = /[\u0000-\u0008\u000a-\u001f\u007f]/;
/** What a dry run shows for the length of a body whose secrets are filled in only when it is sent. */
export const LENGTH_WHEN_SENT = '‹length when sent›';

/** True for methods that change something (every method except GET, HEAD and OPTIONS). */
export function isMutatingMethod(method: string): boolean {
  return !SAFE_METHODS.has(method.toUpperCase());
}

interface ResolvedHeader {
  name: string;
  value: ResolvedTemplate;
  /** `Authorization: Basic user:passwd` or `Basic user passwd`, base64-encoded when sent. */
  basic: boolean;
}

function joinTemplates(templates: ResolvedTemplate[]): ResolvedTemplate {
  return {
    parts: templates.flatMap((template) => template.parts),
    unresolved: templates.flatMap((template) => template.unresolved),
    secrets: [...new Set(templates.flatMap((template) => template.secrets))],
    refused: templates.flatMap((template) => template.refused ?? []),
  };
}

const hasSecret = (template: ResolvedTemplate) => template.parts.some((part) => part.kind === 'secret');

/** `\n`, `\r`, `\t` and `\\` in a file variable's value, as REST Client reads them. */
function unescapeValue(template: ResolvedTemplate): ResolvedTemplate {
  const map: Record<string, string> = { n: '\n', r: '\r', t: '\t', '\\': '\\' };
  return { ...template, parts: template.parts.map((part) => (part.kind === 'text' ? { kind: 'text', text: part.text.replace(/\\([nrt\\])/g, (_all, char: string) => map[char]!) } : part)) };
}

/**
 * REST Client's Basic forms: `user:passwd` and `user passwd` are base64-encoded; a value that is
 * already base64 (no colon, no space) is sent as written.
 */
export function basicAuthorization(value: string): string {
  const match = /^(Basic)\s+(.*)$/i.exec(value);
  if (!match) return value;
  const credentials = match[2]!.trim();
  const words = credentials.split(/\s+/);
  if (words.length === 2) return `${match[1]} ${Buffer.from(`${words[0]}:${words[1]}`, 'utf8').toString('base64')}`;
  if (words.length === 1 && credentials.includes(':')) return `${match[1]} ${Buffer.from(credentials, 'utf8').toString('base64')}`;
  return value;
}

// Parsing depends on the text alone, and a runbook re-runs the same few cells: keep recent parses.
const parseCache = new Map<string, Parsed<HttpRequestTemplate>>();
const PARSE_CACHE_SIZE = 256;

export function parseCached(text: string): Parsed<HttpRequestTemplate> {
  let parsed = parseCache.get(text);
  if (!parsed) {
    parsed = parseHttpCell(text);
    if (parseCache.size >= PARSE_CACHE_SIZE) parseCache.delete(parseCache.keys().next().value!);
    parseCache.set(text, parsed);
  }
  return parsed;
}

/** The cell's own variables: `@name = value` lines, REST Client system variables, refused request variables. */
function cellVariables(template: HttpRequestTemplate, context: PrepareContext): ExtraVariables {
  const fileVariables = new Map<string, ResolvedTemplate>();
  const extra: ExtraVariables = (expression, placeholder) => {
    const own = fileVariables.get(expression);
    if (own) return own;
    const system = systemVariable(expression, placeholder, context.now) ?? scriptVariable(expression, placeholder);
    if (system) return system;
    if (!lookupVariable(context.scope, expression).found) return requestVariable(expression, placeholder) ?? scriptExpression(expression, placeholder);
    return undefined;
  };
  for (const variable of template.variables) {
    fileVariables.set(variable.name, unescapeValue(resolveTemplate(variable.value.text, context.scope, variable.value.start, extra)));
  }
  return extra;
}

/** Refuses a variable that would put a line break or control character into a header or the URL. */
function controlCharacterDiagnostics(piece: TextPiece, where: string, resolve: (piece: TextPiece) => ResolvedTemplate): Diagnostic[] {
  const found: Diagnostic[] = [];
  for (const placeholder of findPlaceholders(piece.text, piece.start)) {
    const value = renderTemplate(resolve({ text: `{{${placeholder.expression}}}`, start: placeholder.start }));
    if (CONTROL_CHARACTER.test(value)) {
      found.push(error('http/control-character', `The variable {{${placeholder.expression}}} holds a line break or control character, which cannot go in ${where}; nothing was sent.`, placeholder.start, placeholder.end));
    }
  }
  return found;
}

/** A URL with secret markers, as a URL parser writes it, with the markers made readable again. */
function readableUrl(href: string): string {
  return href.replace(/%7B%7Bsecret:([^%{}]+)%7D%7D/gi, (_all, name: string) => secretMarker(decodeURIComponent(name)));
}

interface Rendered {
  request: HttpRequest;
  secretBody: boolean;
}

const urlStartOf = (template: HttpRequestTemplate) => template.url[0]!.start;

/** Resolves an http cell's variables; the request is sent only by `execute`. */
export function prepareHttpCell(text: string, context: PrepareContext): PrepareResult {
  const parsed = parseCached(text);
  if (!parsed.value) return { diagnostics: parsed.diagnostics };
  const template = parsed.value;
  const extra = cellVariables(template, context);
  const resolve = (piece: TextPiece) => resolveTemplate(piece.text, context.scope, piece.start, extra);
  const diagnostics: Diagnostic[] = [];

  const url = joinTemplates(template.url.map(resolve));
  let graphqlHeader = false;
  const headers: ResolvedHeader[] = [];
  for (const header of template.headers) {
    const value = resolve(header.value);
    const lower = header.name.toLowerCase();
    const shown = renderTemplate(value);
    diagnostics.push(...controlCharacterDiagnostics(header.value, `the header ${header.name}`, resolve));
    if (lower === 'x-request-type' && shown.trim().toLowerCase() === 'graphql') {
      graphqlHeader = true;
      continue;
    }
    const span = [header.value.start, header.value.start + header.value.text.length] as const;
    if (lower === 'authorization' && /^Digest\s+\S+\s+\S+\s*$/i.test(shown)) {
      diagnostics.push(
        error(
          'http/digest-auth',
          'Digest authentication (`Authorization: Digest user passwd`) is not supported in Rollgate http cells: its challenge and response are not implemented, and the literal would be sent. Use a token or Basic authentication.',
          ...span,
        ),
      );
      continue;
    }
    if (lower === 'authorization' && /^(AWS|COGNITO)\s/i.test(shown)) {
      diagnostics.push(error('http/aws-auth', `AWS request signing (\`Authorization: ${shown.split(/\s/)[0]} …\`) is not supported in Rollgate http cells; the literal would be sent.`, ...span));
      continue;
    }
    headers.push({ name: header.name, value, basic: lower === 'authorization' && /^Basic\s/i.test(shown) });
  }
  for (const piece of template.url) diagnostics.push(...controlCharacterDiagnostics(piece, 'the URL', resolve));
  const contentType = renderTemplate(headers.find((header) => header.name.toLowerCase() === 'content-type')?.value ?? { parts: [], unresolved: [], secrets: [] });
  const body: BodyPlan | undefined = template.body ? planBody(template.body, { contentType, graphqlHeader, resolve, ...(context.files ? { files: context.files } : {}), diagnostics }) : undefined;
  if (graphqlHeader && !body) diagnostics.push(error('http/graphql', '`X-Request-Type: GraphQL` needs a query in the body.', 0, text.length));

  const templates = [url, ...headers.map((header) => header.value), ...(body ? bodyTemplates(body) : [])];
  diagnostics.push(...unresolvedDiagnostics(templates.flatMap((one) => one.unresolved)), ...templates.flatMap((one) => one.refused ?? []));
  const timeoutMs = durationAttribute(context.attributes, 'timeout', parseDuration, diagnostics) ?? DEFAULT_TIMEOUT_MS;
  if (diagnostics.length > 0) return { diagnostics };

  // A relative URL takes its host from the Host header (REST Client; https for ports 443 and
  // 8443), else from the variable `host` (httpYac).
  const hostHeader = headers.find((header) => header.name.toLowerCase() === 'host');
  const hostVariable = resolve({ text: '{{host}}', start: urlStartOf(template) });
  const urlText = (write: SecretWriter) => {
    const written = renderTemplate(url, write);
    if (!written.startsWith('/')) return written;
    if (hostHeader) {
      const host = renderTemplate(hostHeader.value, write).trim();
      const port = host.split(':')[1];
      return `${port === '443' || port === '8443' ? 'https' : 'http'}://${host}${written}`;
    }
    if (hostVariable.unresolved.length === 0 && !hostVariable.refused) return `${renderTemplate(hostVariable, write).replace(/\/+$/, '')}${written}`;
    return written;
  };
  const shownUrl = urlText(secretMarker);
  const urlStart = template.url[0]!.start;
  const lastPiece = template.url[template.url.length - 1]!;
  let parsedUrl: URL | undefined;
  try {
    // Validated with secrets replaced by a harmless stand-in: the markers' braces are not URL text.
    parsedUrl = new URL(urlText(() => 'secret'));
  } catch {
    parsedUrl = undefined;
  }
  if (!parsedUrl || (parsedUrl.protocol !== 'http:' && parsedUrl.protocol !== 'https:')) {
    const hint = shownUrl.startsWith('/') ? ' A path alone needs a Host header (REST Client), a `host` variable (httpYac) or a full URL.' : '';
    return { diagnostics: [error('http/bad-url', `"${shownUrl}" is not an http:// or https:// URL.${hint}`, urlStart, lastPiece.start + lastPiece.text.length)] };
  }

  const render = (write: SecretWriter, recording: boolean): Rendered => {
    const rendered: HttpRequest = {
      method: template.method,
      url: urlText(write),
      headers: headers.map((header) => {
        const value = renderTemplate(header.value, write);
        return [header.name, header.basic && !recording ? basicAuthorization(value) : value];
      }),
    };
    const secretHeaders = headers.filter((header) => hasSecret(header.value)).map((header) => header.name.toLowerCase());
    if (secretHeaders.length > 0) rendered.secretHeaders = secretHeaders;
    const secretBody = body ? bodyTemplates(body).some(hasSecret) : false;
    if (body) rendered.body = renderBody(body, write, recording);
    if (secretBody) rendered.secretBody = true;
    return { request: rendered, secretBody };
  };
  /** The record of a request: every header and the body as sent, secrets as markers, credentials masked. */
  const record = (sent: HttpRequest | undefined): RequestSummary => {
    const shown = render(secretMarker, true);
    const summary = summarizeWire(wireRequest(shown.request), { secretBody: shown.secretBody });
    summary.url = readableUrl(summary.url);
    const realLength = sent ? wireRequest(sent).headers.find(([name]) => name === 'Content-Length')?.[1] : undefined;
    summary.headers = maskCredentialHeaders(summary.headers!.map(([name, value]) => [name, name === 'Content-Length' && shown.secretBody ? (realLength ?? LENGTH_WHEN_SENT) : value]));
    if (shown.secretBody) {
      delete summary.bodyBytes;
      if (sent) summary.bodyBytes = Number(realLength);
    }
    return summary;
  };

  let shownRequest: RequestSummary;
  try {
    shownRequest = record(undefined);
  } catch (caught) {
    if (caught instanceof GraphqlVariablesError) return { diagnostics: [error('http/graphql-variables', `${caught.message}.`, 0, text.length)] };
    throw caught;
  }
  const mutating = isMutatingMethod(template.method) || context.attributes.effect === 'mutate' || template.note;
  return {
    diagnostics: [],
    prepared: {
      kind: 'http',
      mutating,
      request: shownRequest,
      target: {
        method: template.method,
        url: shownUrl,
        target: `${template.method} ${parsedUrl.host}${parsedUrl.pathname}`,
        ...(context.environment ? { environment: context.environment } : {}),
      },
      async execute(runtime) {
        const values = new Map<string, string>();
        const secrets = new Set(templates.flatMap((one) => one.secrets));
        for (const name of secrets) values.set(name, await runtime.secret(name));
        for (const header of headers) {
          for (const part of header.value.parts) {
            if (part.kind === 'secret' && CONTROL_CHARACTER.test(values.get(part.name) ?? '')) {
              throw Object.assign(new Error(`The secret "${part.name}" holds a line break or control character, which cannot go in the header ${header.name}; nothing was sent.`), { request: shownRequest });
            }
          }
        }
        const request = render((name) => values.get(name) ?? '', false).request;
        // A header value built from a secret may come back whole or encoded: redact it as one.
        headers.forEach((header, index) => {
          if (!hasSecret(header.value)) return;
          const sent = request.headers[index]![1];
          runtime.redact?.(sent);
          const scheme = /^(\w+)\s+(.+)$/.exec(sent);
          if (scheme) runtime.redact?.(scheme[2]!);
        });
        const sentRecord = record(request);
        let response;
        const sentAt = performance.now();
        try {
          response = await context.ports.http.send(request, { ...(runtime.signal ? { signal: runtime.signal } : {}), timeoutMs, followRedirects: !template.noRedirect });
        } catch (caught) {
          throw Object.assign(caught instanceof Error ? caught : new Error(String(caught)), { request: sentRecord });
        }
        if (response.redirects) sentRecord.redirects = response.redirects.map((hop) => ({ ...hop, url: readableUrl(hop.url) }));
        return { ...outcomeOf(response, Math.round(performance.now() - sentAt)), request: sentRecord };
      },
    },
  };
}

function outcomeOf(response: Awaited<ReturnType<PrepareContext['ports']['http']['send']>>, elapsedMs: number) {
  const contentType = response.headers['content-type'] ?? '';
  let body: unknown = response.body;
  if (/json/i.test(contentType) || /^\s*[[{]/.test(response.body)) {
    try {
      body = JSON.parse(response.body);
    } catch {
      body = response.body;
    }
  }
  // Like REST Client: the status line with the time taken, the headers folded, then the body.
  const outputs: CellOutput[] = [
    { kind: 'text', text: `${`HTTP ${response.status} ${response.statusText}`.trimEnd()} · ${elapsedMs} ms` },
    { kind: 'json', value: response.headers, collapsed: true, title: `Response headers (${Object.keys(response.headers).length})` },
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
}

/** The `{ "error": { "message" } }` of the deployment API, or a short body, to say why it failed. */
function errorDetail(body: unknown): string {
  const message = (body as { error?: { message?: unknown } } | undefined)?.error?.message;
  if (typeof message === 'string') return `: ${message}`;
  if (typeof body === 'string' && body.trim() !== '') return `: ${body.trim().slice(0, 200)}`;
  return '';
}

export type { ExecuteRuntime };

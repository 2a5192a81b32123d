// Parses the text of an http cell, REST Client / httpYac syntax. Every construct either has a
// place in the template (and is sent as those tools send it) or is refused here, at its line,
// with a message that names it: nothing is ever sent literally by mistake. docs/cells.md has
// the table of constructs.
import type { Diagnostic } from '../diagnostics';
import { error } from './prepared';
import type { Parsed } from './types';

/** A slice of the cell body, kept with its offset so diagnostics point into the cell. */
export interface TextPiece {
  text: string;
  start: number;
}

/** A body line: text, or a file whose contents go there (`< ./file`, `<@ ./file`, `<@latin1 ./file`). */
export type BodyLine = { kind: 'text'; piece: TextPiece } | { kind: 'file'; path: string; processVariables: boolean; encoding: BufferEncoding; start: number; end: number };

/** A REST Client-style request before variables are resolved. */
export interface HttpRequestTemplate {
  method: string;
  /** Where the method was written; absent when the request line is only a URL (GET). */
  methodSpan?: { start: number; end: number };
  /** The URL, plus continuation lines starting with `?`, `&` or `/`. */
  url: TextPiece[];
  headers: Array<{ name: string; nameStart: number; value: TextPiece }>;
  /** Body lines after the blank line, trailing blank lines removed. */
  body?: BodyLine[];
  /** `@name = value` file variables written before the request line, in order. */
  variables: Array<{ name: string; value: TextPiece }>;
  /** `# @no-redirect`: the 3xx answer is the result. */
  noRedirect: boolean;
  /** `# @note`: the request asks for confirmation before it is sent. */
  note: boolean;
}

export const HTTP_METHODS = ['GET', 'HEAD', 'OPTIONS', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
const HEADER_LINE = /^\s*([!#$%&'*+.^_`|~0-9A-Za-z-]+)[ \t]*:[ \t]*(.*?)[ \t]*$/;
const SETTING_LINE = /^\s*(?:#|\/\/)\s*@([A-Za-z][\w-]*)(?:\s+(.*?))?\s*$/;
const FILE_VARIABLE = /^\s*@([^\s=]+)\s*=\s*(.*?)\s*$/;
const FILE_BODY_LINE = /^<(?:(@)(\w+)?)?\s+(.+?)\s*$/;
const REQUEST_LINE_SHAPE = /^\s*(GET|HEAD|OPTIONS|POST|PUT|PATCH|DELETE|CONNECT|TRACE)\s+\S/i;
const SEPARATOR = /^\s*#{3,}/;
const ENCODINGS = new Set(['utf8', 'utf-8', 'latin1', 'binary', 'ascii', 'utf16le', 'ucs2', 'base64', 'hex']);
/** Request settings that change nothing Rollgate sends: accepted as comments. */
const DOCUMENTING_SETTINGS = new Set(['title', 'description']);
/** httpYac's other protocols, which are not HTTP requests. */
const OTHER_PROTOCOLS = new Set(['GRPC', 'WS', 'WSS', 'WEBSOCKET', 'SSE', 'EVENTSOURCE', 'MQTT', 'MQTTS', 'AMQP', 'AMQPS']);

const SUFFIX = 'is not supported in Rollgate http cells';

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
const refuse = (code: string, message: string, line: TextPiece) => error(`http/${code}`, message, line.start, line.start + line.text.length);

/** What a line after the request line is, when it is something Rollgate refuses everywhere. */
function refusedAnywhere(line: TextPiece): Diagnostic | undefined {
  const text = line.text;
  if (SEPARATOR.test(text)) {
    return refuse('several-requests', 'Several requests in one cell (separated by `###`) are not supported: one request per cell. Put the next request in a cell of its own.', line);
  }
  if (/^\s*>\s*\{%/.test(text)) return refuse('response-handler', `Response handler scripts (\`> {% … %}\`) are not run: a script ${SUFFIX}. Read the result in a later cell with {{name.body.…}}.`, line);
  if (/^\s*>\s*\S+\.[cm]?js\s*$/.test(text)) return refuse('response-handler', `Response handler files (\`${text.trim()}\`) are not run: a script ${SUFFIX}.`, line);
  if (/^\s*>>!?\s*\S/.test(text)) return refuse('output-redirection', `Saving the response to a file (\`${text.trim()}\`, httpYac) ${SUFFIX}.`, line);
  if (/^\s*\?\?\s/.test(text)) return refuse('assertion', `httpYac assertions (\`${text.trim()}\`) ${SUFFIX}; a status of 400 or more already fails the cell.`, line);
  if (/\\\{\\\{|\\\}\\\}/.test(text)) {
    return refuse(
      'escaped-braces',
      `Escaped braces (\`\\{\\{ … \\}\\}\`) ${SUFFIX}: httpYac sends them as \`{{ … }}\`, REST Client as written, so Rollgate would send one of two texts. To send literal \`{{\`, put the body in a file and write \`< ./file\`.`,
      line,
    );
  }
  if (/^\{\{(\s*|[@+].*)$/.test(text)) return refuse('script', `httpYac script blocks (\`{{ … }}\` on lines of their own) ${SUFFIX}: Rollgate runs no scripts.`, line);
  return undefined;
}

function settingDiagnostic(name: string, line: TextPiece): Diagnostic | undefined {
  switch (name.toLowerCase()) {
    case 'no-redirect':
    case 'note':
    case 'no-cookie-jar': // Rollgate keeps no cookies between cells.
      return undefined;
    case 'name':
      return refuse('setting', `The request setting \`# @name\` ${SUFFIX}: name the cell with its attribute instead (\`\`\`http {"name":"…"}) so later cells can read {{name.body.…}}.`, line);
    default:
      if (DOCUMENTING_SETTINGS.has(name.toLowerCase())) return undefined;
      return refuse('setting', `The request setting \`# @${name}\` ${SUFFIX}. Supported: # @no-redirect, # @note, # @no-cookie-jar (and # @title, # @description as comments).`, line);
  }
}

/**
 * Parses an http cell: comment lines, request settings (`# @no-redirect`), file variables
 * (`@name = value`), the request line (`METHOD URL [HTTP/1.1]`, or a bare URL for GET), URL
 * continuation lines, header lines, a blank line, the body (with `< ./file` lines).
 */
export function parseHttpCell(text: string): Parsed<HttpRequestTemplate> {
  const diagnostics: Diagnostic[] = [];
  const lines = splitLines(text);
  const variables: HttpRequestTemplate['variables'] = [];
  let noRedirect = false;
  let note = false;
  let index = 0;
  // Before the request line: blank lines, comments, settings, file variables, `###` separators.
  for (; index < lines.length; index++) {
    const line = lines[index]!;
    if (isBlank(line.text) || SEPARATOR.test(line.text)) continue;
    const setting = SETTING_LINE.exec(line.text);
    if (setting) {
      const refused = settingDiagnostic(setting[1]!, line);
      if (refused) diagnostics.push(refused);
      if (setting[1]!.toLowerCase() === 'no-redirect') noRedirect = true;
      if (setting[1]!.toLowerCase() === 'note') note = true;
      continue;
    }
    if (isComment(line.text)) continue;
    const variable = FILE_VARIABLE.exec(line.text);
    if (variable) {
      const valueText = variable[2]!;
      const valueStart = line.start + line.text.lastIndexOf(valueText, line.text.length - (line.text.length - line.text.trimEnd().length));
      variables.push({ name: variable[1]!, value: { text: valueText, start: valueText === '' ? line.start + line.text.length : valueStart } });
      continue;
    }
    if (/^\s*\/\*/.test(line.text)) {
      diagnostics.push(refuse('block-comment', `Block comments (\`/* … */\`) ${SUFFIX}: start each comment line with # or //.`, line));
      return { diagnostics };
    }
    if (/^\s*curl(\s|$)/i.test(line.text)) {
      diagnostics.push(refuse('curl', `cURL commands ${SUFFIX}: write the request as \`METHOD URL\`, then headers, a blank line and the body.`, line));
      return { diagnostics };
    }
    if (/^\s*fragment\s+\w+\s+on\s/.test(line.text)) {
      diagnostics.push(refuse('graphql-fragment', `GraphQL fragments written apart from the request (httpYac) ${SUFFIX}: put the fragment in the query itself.`, line));
      return { diagnostics };
    }
    const refused = refusedAnywhere(line);
    if (refused) {
      diagnostics.push(refused);
      return { diagnostics };
    }
    break;
  }
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
    if (OTHER_PROTOCOLS.has(method)) {
      diagnostics.push(error('http/other-protocol', `\`${word}\` requests (httpYac) are not HTTP: gRPC, WebSocket, server-sent events, MQTT and AMQP ${SUFFIX}.`, methodSpan.start, methodSpan.end));
    } else if (!(HTTP_METHODS as readonly string[]).includes(method)) {
      diagnostics.push(error('http/unknown-method', `Unknown HTTP method "${word}"; use one of ${HTTP_METHODS.join(', ')}.`, methodSpan.start, methodSpan.end));
    }
  }
  const version = /\s+(HTTP\/[\d.]+)$/i.exec(urlText);
  if (version) {
    if (version[1]!.toUpperCase() !== 'HTTP/1.1') {
      const start = urlStart + version.index + version[0].length - version[1]!.length;
      diagnostics.push(error('http/version', `${version[1]} ${SUFFIX}: Rollgate sends HTTP/1.1. Write HTTP/1.1 or leave the version out.`, start, start + version[1]!.length));
    }
    urlText = urlText.slice(0, version.index);
  }
  const url: TextPiece[] = [{ text: urlText, start: urlStart }];
  index++;
  // REST Client continues the URL on lines starting with `?` or `&`; httpYac also with `/`.
  while (index < lines.length && /^\s*([?&]|\/(?!\/))/.test(lines[index]!.text)) {
    const continuation = lines[index]!;
    const offset = continuation.text.length - continuation.text.trimStart().length;
    url.push({ text: continuation.text.trim(), start: continuation.start + offset });
    index++;
  }
  const headers: HttpRequestTemplate['headers'] = [];
  for (; index < lines.length; index++) {
    const header = lines[index]!;
    if (isBlank(header.text)) break;
    const refused = refusedAnywhere(header);
    if (refused) {
      diagnostics.push(refused);
      continue;
    }
    if (SETTING_LINE.test(header.text)) {
      diagnostics.push(refuse('setting-position', 'Request settings (`# @…`) go before the request line; here it would have no effect.', header));
      continue;
    }
    if (isComment(header.text)) continue;
    const match = HEADER_LINE.exec(header.text);
    if (!match) {
      const bodyLike = /^\s*[{[<]/.test(header.text);
      const message = bodyLike
        ? 'Expected a header line `Name: value`: this looks like a body, which must follow a blank line after the headers.'
        : 'Expected a header line `Name: value`, or a blank line before the body.';
      diagnostics.push(error('http/bad-header', message, header.start, header.start + header.text.length));
      if (bodyLike) break;
      continue;
    }
    const nameStart = header.start + header.text.indexOf(match[1]!);
    const valueStart = header.start + header.text.indexOf(match[2]!, nameStart - header.start + match[1]!.length + 1);
    headers.push({ name: match[1]!, nameStart, value: { text: match[2]!, start: valueStart } });
  }
  const body = parseBody(lines.slice(index + 1), diagnostics);
  if (diagnostics.length > 0) return { diagnostics };
  return {
    value: { method, ...(methodSpan ? { methodSpan } : {}), url, headers, ...(body ? { body } : {}), variables, noRedirect, note },
    diagnostics,
  };
}

function parseBody(lines: TextPiece[], diagnostics: Diagnostic[]): BodyLine[] | undefined {
  while (lines.length > 0 && isBlank(lines[lines.length - 1]!.text)) lines.pop();
  if (lines.length === 0) return undefined;
  const body: BodyLine[] = [];
  let afterBlank = true;
  for (const line of lines) {
    const refused = refusedAnywhere(line);
    if (refused) {
      diagnostics.push(refused);
      continue;
    }
    if (afterBlank && REQUEST_LINE_SHAPE.test(line.text)) {
      diagnostics.push(refuse('several-requests', 'A second request line in the body (after a blank line, httpYac starts a new request here): one request per cell. Put it in a cell of its own.', line));
      continue;
    }
    if (/^HTTP\/[\d.]+\s+\d{3}\b/.test(line.text)) {
      diagnostics.push(refuse('response-example', `A response written after the request (httpYac) ${SUFFIX}: remove it, or put it in a Markdown block.`, line));
      continue;
    }
    if (/^\s*gql\s+\S+\s*</.test(line.text)) {
      diagnostics.push(refuse('graphql-import', `Importing a GraphQL query from a file (\`gql name < file\`, httpYac) ${SUFFIX}: write the query in the body.`, line));
      continue;
    }
    const file = FILE_BODY_LINE.exec(line.text);
    if (file) {
      const encoding = (file[2] ?? 'utf8').toLowerCase();
      if (!ENCODINGS.has(encoding)) {
        diagnostics.push(refuse('file-encoding', `The file encoding "${file[2]}" ${SUFFIX}; use utf8 or latin1.`, line));
        continue;
      }
      body.push({ kind: 'file', path: file[3]!, processVariables: file[1] === '@', encoding: encoding as BufferEncoding, start: line.start, end: line.start + line.text.length });
    } else body.push({ kind: 'text', piece: line });
    afterBlank = isBlank(line.text);
  }
  return body;
}

// REST Client's system variables (`{{$guid}}`, `{{$timestamp -1 d}}`, …) in http cells: the ones
// that only make a value are computed when the cell is prepared, so the dry run and the record
// show the value that is sent; the ones that read the machine or sign in are refused, by name.
import { randomInt, randomUUID } from 'node:crypto';

import type { Diagnostic } from '../diagnostics';
import type { Placeholder, ResolvedTemplate } from './variables';

/**
 * Adds whole months as Day.js (REST Client's date library) does: the day stays within the target
 * month (31 January + 1 month is 29 February), where a plain Date would roll over into March.
 */
function addMonths(date: Date, amount: number): void {
  const day = date.getUTCDate();
  date.setUTCDate(1);
  date.setUTCMonth(date.getUTCMonth() + amount);
  const daysInMonth = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 0)).getUTCDate();
  date.setUTCDate(Math.min(day, daysInMonth));
}

const OFFSET_UNITS: Record<string, (date: Date, amount: number) => void> = {
  y: (date, amount) => addMonths(date, 12 * amount),
  M: addMonths,
  w: (date, amount) => date.setTime(date.getTime() + amount * 7 * 86_400_000),
  d: (date, amount) => date.setTime(date.getTime() + amount * 86_400_000),
  h: (date, amount) => date.setTime(date.getTime() + amount * 3_600_000),
  m: (date, amount) => date.setTime(date.getTime() + amount * 60_000),
  s: (date, amount) => date.setTime(date.getTime() + amount * 1000),
  ms: (date, amount) => date.setTime(date.getTime() + amount),
};

const refusal = (placeholder: Placeholder, message: string, code = 'http/system-variable'): Diagnostic => ({
  severity: 'error',
  code,
  message,
  start: placeholder.start,
  end: placeholder.end,
});

const text = (value: string): ResolvedTemplate => ({ parts: [{ kind: 'text', text: value }], unresolved: [], secrets: [] });

/** Applies an optional `<number> <unit>` offset; undefined when the words are not one. */
function offsetDate(now: Date, words: string[]): Date | undefined {
  const date = new Date(now.getTime());
  if (words.length === 0) return date;
  if (words.length !== 2 || !/^[-+]?\d+$/.test(words[0]!) || !OFFSET_UNITS[words[1]!]) return undefined;
  OFFSET_UNITS[words[1]!]!(date, Number(words[0]));
  return date;
}

const pad = (value: number, width = 2) => String(value).padStart(width, '0');

function localIso(date: Date): string {
  const offset = -date.getTimezoneOffset();
  const sign = offset >= 0 ? '+' : '-';
  const local = `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
  return `${local}${sign}${pad(Math.floor(Math.abs(offset) / 60))}:${pad(Math.abs(offset) % 60)}`;
}

/**
 * Resolves a `$`-expression, or refuses it naming why; undefined for expressions that are not
 * system variables. `now` is injectable for tests.
 */
export function systemVariable(expression: string, placeholder: Placeholder, now: () => number): ResolvedTemplate | Diagnostic | undefined {
  if (!expression.startsWith('$')) return undefined;
  const [name, ...words] = expression.split(/\s+/);
  const usage = `\`{{${expression}}}\``;
  switch (name) {
    case '$guid':
      return words.length === 0 ? text(randomUUID()) : refusal(placeholder, `${usage}: $guid takes no arguments.`);
    case '$randomInt': {
      const [min, max] = words.map(Number);
      if (words.length !== 2 || !Number.isInteger(min) || !Number.isInteger(max) || max! <= min!) {
        return refusal(placeholder, `${usage}: write {{$randomInt min max}} with whole numbers, min below max.`);
      }
      return text(String(randomInt(min!, max!)));
    }
    case '$timestamp': {
      const date = offsetDate(new Date(now()), words);
      if (!date) return refusal(placeholder, `${usage}: the offset must be a number and a unit (y, M, w, d, h, m, s, ms), e.g. {{$timestamp -1 d}}.`);
      return text(String(Math.floor(date.getTime() / 1000)));
    }
    case '$datetime':
    case '$localDatetime': {
      const [format, ...offset] = words;
      const date = offsetDate(new Date(now()), offset);
      if (format !== 'iso8601' && format !== 'rfc1123') {
        return refusal(placeholder, `${usage}: only the iso8601 and rfc1123 formats are supported in Rollgate http cells (custom Day.js formats are not).`);
      }
      if (!date) return refusal(placeholder, `${usage}: the offset must be a number and a unit (y, M, w, d, h, m, s, ms).`);
      if (format === 'rfc1123') return text(date.toUTCString());
      return text(name === '$datetime' ? date.toISOString() : localIso(date));
    }
    case '$processEnv':
    case '$dotenv':
      return refusal(
        placeholder,
        `${usage}: reading ${name === '$dotenv' ? 'a .env file' : 'environment variables'} ${'is not supported in Rollgate http cells'}; reference a secret ({{secret:name}}) or a front-matter variable instead.`,
      );
    case '$aadToken':
    case '$aadV2Token':
      return refusal(placeholder, `${usage}: Azure AD sign-in is not supported in Rollgate http cells; put the token in a secret and write Authorization: Bearer {{secret:name}}.`);
    case '$shared':
      return refusal(placeholder, `${usage}: REST Client's shared environment is not supported in Rollgate http cells; use front-matter variables.`);
    case '$prompt':
    case '$input':
    case '$password':
    case '$pick':
      return refusal(placeholder, `${usage}: prompting for a value is not supported in Rollgate http cells (runs must not stop for input); use a variable.`);
    default:
      return refusal(placeholder, `${usage}: the system variable ${name} is not supported in Rollgate http cells. Supported: $guid, $randomInt, $timestamp, $datetime, $localDatetime.`);
  }
}

/** `{{login.response.body.$.token}}`: a REST Client request variable, refused with what to write instead. */
export function requestVariable(expression: string, placeholder: Placeholder): Diagnostic | undefined {
  const match = /^([\w-]+)\.(response|request)\.(body|headers)(?:\.(.*))?$/.exec(expression);
  if (!match) return undefined;
  return refusal(
    placeholder,
    `\`{{${expression}}}\` is a REST Client request variable, which is not supported in Rollgate http cells: name the earlier cell "${match[1]}" and read {{${match[1]}.${match[3] === 'headers' ? 'headers.<name>' : 'body.<path>'}}} (its result, not JSONPath or XPath).`,
    'http/request-variable',
  );
}

/** `{{() => new Date()}}`: a REST Client script variable, refused (Rollgate runs no scripts). */
export function scriptVariable(expression: string, placeholder: Placeholder): Diagnostic | undefined {
  if (!/^\(.*\)\s*=>/.test(expression)) return undefined;
  return refusal(placeholder, `\`{{${expression}}}\`: REST Client script variables (JavaScript) are not supported in Rollgate http cells; Rollgate runs no scripts.`, 'http/script-variable');
}

/** A name Rollgate looks up: `host`, `status.body.items[0].id`, `secret:deploy-token`. */
const PLAIN_VARIABLE = /^(?:secret:.*|[\w$-]+(?:\.[\w$-]+|\[\d+\])*)$/;

/**
 * `{{Buffer.from(user + ":" + password).toString('base64')}}`: httpYac evaluates any JavaScript
 * between the braces. Such an expression names no variable, so it is refused as a script rather
 * than reported as an unknown variable.
 */
export function scriptExpression(expression: string, placeholder: Placeholder): Diagnostic | undefined {
  if (expression === '' || PLAIN_VARIABLE.test(expression)) return undefined;
  return refusal(placeholder, `\`{{${expression}}}\` is a JavaScript expression (httpYac evaluates these); Rollgate runs no scripts. Put the value in a variable or a secret and write {{name}}.`, 'http/script-variable');
}

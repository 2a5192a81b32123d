/** A secret's name (shown in its place) and its value (never shown). */
export type SecretValues = ReadonlyMap<string, string> | Readonly<Record<string, string>>;

/** Where a secret value was found, by JSON path; the value itself is never reported. */
export interface SecretHit {
  name: string;
  path: string;
}

/** The text that replaces a secret value: `«redacted:name»`. */
export function redactionMarker(name: string): string {
  return `«redacted:${name}»`;
}

interface Needle {
  name: string;
  text: string;
}

/**
 * Every form of each secret worth looking for, longest first so that a secret containing another
 * is replaced whole. The URL-encoded form is included because secrets end up in query strings.
 */
function needlesOf(secrets: SecretValues): Needle[] {
  const entries = secrets instanceof Map ? [...secrets.entries()] : Object.entries(secrets as Record<string, string>);
  const needles: Needle[] = [];
  for (const [name, value] of entries) {
    if (typeof value !== 'string' || value.length === 0) continue;
    needles.push({ name, text: value });
    const encoded = encodeURIComponent(value);
    if (encoded !== value) needles.push({ name, text: encoded });
  }
  return needles.sort((a, b) => b.text.length - a.text.length);
}

function redactString(text: string, needles: readonly Needle[], onHit?: (name: string) => void): string {
  let result = text;
  for (const needle of needles) {
    if (!result.includes(needle.text)) continue;
    onHit?.(needle.name);
    result = result.split(needle.text).join(redactionMarker(needle.name));
  }
  return result;
}

function walk(value: unknown, needles: readonly Needle[], path: string, hits: SecretHit[]): unknown {
  if (typeof value === 'string') {
    return redactString(value, needles, (name) => hits.push({ name, path }));
  }
  if (Array.isArray(value)) {
    return value.map((item, index) => walk(item, needles, `${path}[${index}]`, hits));
  }
  if (value !== null && typeof value === 'object') {
    const result: Record<string, unknown> = {};
    for (const [key, member] of Object.entries(value as Record<string, unknown>)) {
      const memberPath = `${path}.${key}`;
      const safeKey = redactString(key, needles, (name) => hits.push({ name, path: memberPath }));
      result[safeKey] = walk(member, needles, memberPath, hits);
    }
    return result;
  }
  return value;
}

/**
 * Returns a copy of a JSON value in which every occurrence of a secret value, inside any string
 * or object key at any depth, is replaced by `«redacted:name»`. Callers redact a request before
 * recording it; the ledger does it again for the secrets registered with it.
 */
export function redact<T>(value: T, secrets: SecretValues): T {
  return findAndRedact(value, secrets).value;
}

/** Like `redact`, and also says where secrets were found (by JSON path, `$.request.url`). */
export function findAndRedact<T>(value: T, secrets: SecretValues): { value: T; hits: SecretHit[] } {
  const needles = needlesOf(secrets);
  const hits: SecretHit[] = [];
  if (needles.length === 0) return { value, hits };
  return { value: walk(value, needles, '$', hits) as T, hits };
}

/**
 * Header names whose values are credentials whatever they contain: redacted in records, and never
 * sent on to another origin by a redirect (the http cells' sender).
 */
export const CREDENTIAL_HEADERS: ReadonlySet<string> = new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'x-api-key', 'api-key', 'x-auth-token']);

/**
 * Replaces the values of credential-bearing headers (Authorization, Cookie, API keys) with a
 * marker naming the header, so a request can be recorded even when the secret is not registered.
 */
export function redactHeaders(headers: Readonly<Record<string, string>>): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!CREDENTIAL_HEADERS.has(name.toLowerCase())) {
      result[name] = value;
      continue;
    }
    // Keep the scheme (`Bearer`, `Basic`): it helps when reading an incident, and is no secret.
    const scheme = /^([A-Za-z][A-Za-z0-9-]*) +\S/.exec(value);
    const marker = redactionMarker(name.toLowerCase());
    result[name] = scheme ? `${scheme[1]} ${marker}` : marker;
  }
  return result;
}

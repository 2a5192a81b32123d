import { CREDENTIAL_HEADERS } from '../ledger/redact';

/** What a redacted secret becomes in outputs, errors, logs and ledger entries. */
export const REDACTED = '‹redacted›';

/** Header names whose values are credentials even when they were not written as secrets (one list, the ledger's). */
export { CREDENTIAL_HEADERS };

/**
 * Remembers every secret value resolved during a session and removes them from any text or data
 * before it leaves the runner. Also catches the encodings a value commonly travels in (URL- and
 * JSON-escaped), since a server may echo a token back in either.
 */
export class Redactor {
  private readonly values = new Set<string>();
  private pattern: RegExp | undefined;

  add(secret: string): void {
    // Very short values would shred unrelated text and are not credentials worth hiding.
    if (secret.length < 4 || this.values.has(secret)) return;
    const jsonEscaped = JSON.stringify(secret).slice(1, -1);
    // The twice-escaped form is what a JSON-escaped secret looks like inside serialised JSON.
    const forms = [secret, encodeURIComponent(secret), encodeURI(secret), jsonEscaped, JSON.stringify(jsonEscaped).slice(1, -1)];
    // A server may echo a credential back base64-encoded (a JWT's payload, a debug endpoint).
    // Padding is left off: the same bytes are found inside a longer encoding too.
    const bytes = Buffer.from(secret, 'utf8');
    forms.push(bytes.toString('base64').replace(/=+$/, ''), bytes.toString('base64url'));
    // A secret placed in a URL is re-encoded by the URL parser with its own (smaller) escape sets.
    try {
      forms.push(new URL(`http://host/${secret}`).pathname.slice(1), new URL(`http://host/?${secret}`).search.slice(1));
    } catch {
      // Not representable in a URL: the forms above are all it can travel in.
    }
    for (const form of forms) if (form.length >= 4) this.values.add(form);
    this.pattern = undefined;
  }

  get size(): number {
    return this.values.size;
  }

  redact(text: string): string {
    if (this.values.size === 0) return text;
    return text.replace(this.compiled(), REDACTED);
  }

  /** Redacts every string inside plain data (objects, arrays), returning a copy. */
  redactDeep<T>(value: T): T {
    if (this.values.size === 0) return value;
    // One serialisation and search is cheaper than copying the whole value when, as usual,
    // no secret is in it. JSON escaping is covered: the escaped form is one of the values.
    const serialised = JSON.stringify(value);
    if (serialised === undefined || !this.contains(serialised)) return value;
    return walk(value, (text) => this.redact(text)) as T;
  }

  private contains(text: string): boolean {
    for (const value of this.values) if (text.includes(value)) return true;
    return false;
  }

  private compiled(): RegExp {
    return (this.pattern ??= new RegExp(
      [...this.values]
        .sort((a, b) => b.length - a.length)
        .map((value) => value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
        .join('|'),
      'g',
    ));
  }
}

function walk(value: unknown, redact: (text: string) => string): unknown {
  if (typeof value === 'string') return redact(value);
  if (Array.isArray(value)) return value.map((item) => walk(item, redact));
  if (value && typeof value === 'object') {
    const copy: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) copy[redact(key)] = walk(item, redact);
    return copy;
  }
  return value;
}

/**
 * Masks credential headers for display and the ledger even when the value was typed inline
 * rather than referenced as a secret; keeps the scheme (`Bearer`) so the record stays readable.
 */
export function maskCredentialHeaders(headers: Array<[string, string]>): Array<[string, string]> {
  return headers.map(([name, value]) => {
    // A secret marker already names the reference without its value; keep it readable.
    if (!CREDENTIAL_HEADERS.has(name.toLowerCase()) || /^(\w+\s+)?\{\{secret:[^{}]+\}\}$/.test(value)) return [name, value];
    const scheme = /^(Bearer|Basic|Token|Digest)\s+/i.exec(value)?.[0] ?? '';
    return [name, `${scheme}${REDACTED}`];
  });
}

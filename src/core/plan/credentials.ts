import { isScalar, type Node } from 'yaml';
import type { Diagnostic } from '../diagnostics';
import { nodeSpan, type ValueScanner } from './yamlTree';

export const CREDENTIAL_CODE = 'plan/inline-credential';

/**
 * Keys whose value is a credential. Matched on the key lower-cased with `-`/`_` removed, at its
 * end, so `token`, `apiKey`, `db_password` and `client-secret` all count, `tokenBudget` does not.
 */
const CREDENTIAL_KEY = /(token|password|passwd|passphrase|secret|apikey|accesskey|secretkey|privatekey|credentials?|authorization|bearer)$/;

/** `scheme://user:password@host`: a password inside a URL. */
const URL_USERINFO = /[a-z][a-z0-9+.-]*:\/\/([^\s/?#@:]*):([^\s/?#@]*)@/i;

// Plans repeat the same few keys thousands of times; remember each key's verdict.
const credentialKeyVerdicts = new Map<string, boolean>();

/** Whether a mapping key names a credential (`token`, `password`, `apiKey`, `db_secret`, ...). */
export function isCredentialKey(key: string): boolean {
  let verdict = credentialKeyVerdicts.get(key);
  if (verdict === undefined) {
    verdict = CREDENTIAL_KEY.test(key.toLowerCase().replace(/[-_]/g, ''));
    if (credentialKeyVerdicts.size < 10_000) credentialKeyVerdicts.set(key, verdict);
  }
  return verdict;
}

/**
 * Finds credentials written into the plan instead of referenced: a literal value under a
 * credential-like key (anything but a `{ secret: name }` reference), and `user:password@` in any
 * URL. It rides along the single walk that converts the YAML tree (see `toPlainValue`), so it
 * costs no extra pass and reports exact spans even when the schema rejects the plan.
 */
export class CredentialScanner implements ValueScanner {
  readonly diagnostics: Diagnostic[] = [];

  constructor(private readonly text: string) {}

  /** A literal under a credential key; `{ secret: name }` is how a credential is referenced, so its one key is not one. */
  checkPair(key: string, value: unknown, inSecretReference: boolean): boolean {
    if (!isCredentialKey(key) || (inSecretReference && key === 'secret')) return false;
    return this.checkCredentialPair(key, value);
  }

  /** A pair `key: value` whose key is a credential key; `value` may be any node. */
  checkCredentialPair(key: string, value: unknown): boolean {
    if (!isScalar(value)) return false;
    const literal = value.value;
    if (!((typeof literal === 'string' && literal.trim() !== '') || typeof literal === 'number')) return false;
    const span = nodeSpan(this.text, value);
    if (!span) return false;
    this.diagnostics.push({
      severity: 'error',
      code: CREDENTIAL_CODE,
      message: `'${key}' holds a literal credential. Never write a secret into a plan: use '${key}: { secret: <name> }' and store the value in VS Code secret storage or ROLLGATE_SECRET_<NAME>.`,
      start: span.start,
      end: span.end,
    });
    return true;
  }

  /** Any text scalar: flags `user:password@` in a URL. Cheap when the text has no '@'. */
  checkString(node: Node, value: string): void {
    if (value.indexOf('@') < 0 || value.indexOf('://') < 0) return;
    const match = URL_USERINFO.exec(value);
    if (!match) return;
    const span = nodeSpan(this.text, node);
    if (!span) return;
    // Mark `user:password` itself when the source spells it the same way (plain or simply quoted).
    const userinfo = `${match[1]}:${match[2]}`;
    const at = this.text.slice(span.start, span.end).indexOf(`${userinfo}@`);
    const start = at >= 0 ? span.start + at : span.start;
    this.diagnostics.push({
      severity: 'error',
      code: CREDENTIAL_CODE,
      message: 'A URL carries a user name and password. Remove them and give the endpoint a `token: { secret: <name> }` reference instead.',
      start,
      end: at >= 0 ? start + userinfo.length : span.end,
    });
  }
}

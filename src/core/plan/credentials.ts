import { isAlias, isMap, isScalar, isSeq, type Document, type Node } from 'yaml';
import type { Diagnostic } from '../diagnostics';
import { keyText, nodeSpan } from './yamlTree';

export const CREDENTIAL_CODE = 'plan/inline-credential';

/**
 * Keys whose value is a credential. Matched on the key lower-cased with `-`/`_` removed, at its
 * end, so `token`, `apiKey`, `db_password` and `client-secret` all count, `tokenBudget` does not.
 */
const CREDENTIAL_KEY = /(token|password|passwd|passphrase|secret|apikey|accesskey|secretkey|privatekey|credentials?|authorization|bearer)$/;

/** `scheme://user:password@host`: a password inside a URL. */
const URL_USERINFO = /[a-z][a-z0-9+.-]*:\/\/([^\s/?#@:]*):([^\s/?#@]*)@/gi;

function isSecretReference(node: unknown): boolean {
  return isMap(node) && node.items.length === 1 && keyText(node.items[0]!.key) === 'secret';
}

/**
 * Finds credentials written into the plan instead of referenced: a literal value under a
 * credential-like key (anything but a `{ secret: name }` reference), and `user:password@` in any
 * URL. Walks the YAML tree directly, so it reports exact spans even when the schema fails.
 */
export function inlineCredentialDiagnostics(text: string, document: Document): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  const visited = new Set<Node>();

  const checkString = (node: Node, value: string): void => {
    if (!value.includes('@') || !value.includes('://')) return;
    URL_USERINFO.lastIndex = 0;
    const match = URL_USERINFO.exec(value);
    if (!match) return;
    const span = nodeSpan(text, node);
    if (!span) return;
    // Mark `user:password` itself when the source spells it the same way (plain or simply quoted).
    const userinfo = `${match[1]}:${match[2]}`;
    const source = text.slice(span.start, span.end);
    const at = source.indexOf(`${userinfo}@`);
    const start = at >= 0 ? span.start + at : span.start;
    const end = at >= 0 ? start + userinfo.length : span.end;
    diagnostics.push({
      severity: 'error',
      code: CREDENTIAL_CODE,
      message: 'A URL carries a user name and password. Remove them and give the endpoint a `token: { secret: <name> }` reference instead.',
      start,
      end,
    });
  };

  const walk = (node: unknown, insideReference: boolean): void => {
    if (isScalar(node)) {
      if (typeof node.value === 'string') checkString(node, node.value);
      return;
    }
    if (isAlias(node)) return; // its target is checked where it is defined
    if (isSeq(node)) {
      for (const item of node.items) walk(item, false);
      return;
    }
    if (!isMap(node)) return;
    if (visited.has(node)) return;
    visited.add(node);
    for (const pair of node.items) {
      const key = keyText(pair.key);
      const value = pair.value;
      const normalized = key.toLowerCase().replace(/[-_]/g, '');
      const isReferenceName = insideReference && key === 'secret';
      if (!isReferenceName && CREDENTIAL_KEY.test(normalized) && isScalar(value)) {
        const literal = value.value;
        if ((typeof literal === 'string' && literal.trim() !== '') || typeof literal === 'number') {
          const span = nodeSpan(text, value);
          if (span) {
            diagnostics.push({
              severity: 'error',
              code: CREDENTIAL_CODE,
              message: `'${key}' holds a literal credential. Never write a secret into a plan: use '${key}: { secret: <name> }' and store the value in VS Code secret storage or ROLLGATE_SECRET_<NAME>.`,
              start: span.start,
              end: span.end,
            });
            continue;
          }
        }
      }
      walk(value, isSecretReference(value));
    }
  };

  walk(document.contents, isSecretReference(document.contents));
  return diagnostics;
}

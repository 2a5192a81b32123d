// Hardening of the side panel's webview, outside VS Code:
//  - the HTML builder's page has the strict CSP (nothing by default, styles/images/fonts from the
//    extension only, scripts by nonce only), one script, no inline script, style or handler, and
//    it escapes whatever values it is given;
//  - the panel script builds the DOM without HTML strings or code from strings;
//  - the message validator survives hostile objects (throwing getters, proxies, cycles, huge
//    values) and refuses them. That refused messages are ignored AND logged by the real panel is
//    tested in VS Code: test/host/sidePanel.test.ts ("invalidMessages").
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';

import { parseViewMessage } from '../../../src/core/panel/validate';

vi.mock('vscode', () => ({ env: { language: 'en' } }));
const { createNonce, sidePanelHtml } = await import('../../../src/vscode/sidePanel');

const cspSource = 'https://file+.vscode-resource.vscode-cdn.net';

function page(overrides: Partial<Parameters<typeof sidePanelHtml>[0]> = {}) {
  const nonce = createNonce();
  const html = sidePanelHtml({ cspSource, styleUri: `${cspSource}/media/panel.css`, scriptUri: `${cspSource}/media/panel.js`, nonce, title: 'Rollgate', ...overrides });
  const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1]?.replace(/&#39;/g, "'");
  const directives = new Map(
    (csp ?? '')
      .split(';')
      .map((part) => part.trim().split(/\s+/))
      .map(([name, ...values]) => [name!, values]),
  );
  return { html, csp, directives, nonce };
}

describe('side panel HTML', () => {
  it('declares the strict CSP', () => {
    const { csp, directives, nonce } = page();
    expect(csp).toBeDefined();
    expect(directives.get('default-src')).toEqual(["'none'"]);
    expect(directives.get('script-src')).toEqual([`'nonce-${nonce}'`]);
    for (const name of ['style-src', 'img-src', 'font-src']) expect(directives.get(name)).toEqual([cspSource]);
    // Nothing that reopens the door.
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|\*|data:|http:|blob:/);
    expect([...directives.keys()].sort()).toEqual(['default-src', 'font-src', 'img-src', 'script-src', 'style-src']);
  });

  it('has exactly one script, carrying the nonce and loaded from the extension; no inline code or style', () => {
    const { html, nonce } = page();
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts).toHaveLength(1);
    expect(scripts[0]![1]).toContain(`nonce="${nonce}"`);
    expect(scripts[0]![1]).toContain(`src="${cspSource}/media/panel.js"`);
    expect(scripts[0]![2]!.trim()).toBe('');
    expect(html).not.toMatch(/<style\b/);
    expect(html).not.toMatch(/\sstyle=/);
    expect(html).not.toMatch(/\son[a-z]+=/i);
    expect(html).not.toMatch(/javascript:/i);
  });

  it('a fresh 128-bit nonce per page', () => {
    const nonces = new Set(Array.from({ length: 200 }, () => createNonce()));
    expect(nonces.size).toBe(200);
    for (const nonce of nonces) expect(Buffer.from(nonce, 'base64')).toHaveLength(16);
  });

  it('escapes hostile values instead of letting them break out of their attribute or element', () => {
    const hostile = `"><script>alert(1)</script><img src=x onerror=alert(2)>'`;
    const { html } = page({ title: hostile, styleUri: hostile, scriptUri: hostile });
    expect(html).not.toContain('<script>alert(1)');
    expect(html).not.toContain('<img');
    expect([...html.matchAll(/<script\b/g)]).toHaveLength(1);
    expect(html).toContain('&#60;script&#62;alert(1)');
  });
});

describe('side panel script', () => {
  it('builds the DOM without HTML strings or code from strings', () => {
    const script = readFileSync(join(__dirname, '../../../media/panel.js'), 'utf8');
    expect(script.length).toBeGreaterThan(500);
    for (const sink of ['innerHTML', 'outerHTML', 'insertAdjacentHTML', 'document.write', 'eval(', 'new Function', 'setTimeout("', "setTimeout('"]) {
      expect(script, `panel.js uses ${sink}`).not.toContain(sink);
    }
  });
});

describe('view message validator against hostile objects', () => {
  // Webview messages arrive structured-cloned, so they are plain data: no getters or proxies can
  // arrive from a webview (an in-process caller handing those over can make the validator throw;
  // see docs/reliability.md). Everything plain data can express is covered here.
  const hostile: [string, unknown][] = [
    [
      'a cyclic object',
      (() => {
        const value: Record<string, unknown> = { type: 'ready' };
        value.self = value;
        return value;
      })(),
    ],
    ['a huge plan id', { type: 'selectPlan', planId: `plan-${'1'.repeat(1_000_000)}` }],
    ['a deeply nested value', Array.from({ length: 10_000 }).reduce<unknown>((inner) => ({ type: 'ready', inner }), {})],
    ['a function', () => ({ type: 'ready' })],
    ['a symbol', Symbol('ready')],
    ['a bigint position', { type: 'showMoreChangelog', beforeSeq: 10n }],
    ['an object with a null prototype and an extra key', Object.assign(Object.create(null), { type: 'ready', extra: 1 })],
    [
      'a class instance',
      new (class Message {
        type = 'action';
        action = 'rollback';
        constructor() {
          Object.defineProperty(this, 'then', { value: () => undefined, enumerable: true });
        }
      })(),
    ],
  ];

  it.each(hostile)('refuses %s without throwing', (_what, value) => {
    let check: ReturnType<typeof parseViewMessage> | undefined;
    expect(() => (check = parseViewMessage(value))).not.toThrow();
    expect(check?.ok).toBe(false);
    if (check && !check.ok) expect(check.problem.length).toBeLessThan(500);
  });
});

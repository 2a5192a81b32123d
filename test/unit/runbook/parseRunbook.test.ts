import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseRunbook, serializeRunbook, type RunbookCell } from '../../../src/core/runbook/index';
import { generateRunbook } from './generateRunbook';

const roundTrips = (text: string): void => {
  expect(serializeRunbook(parseRunbook(text))).toBe(text);
};
const summary = (cells: RunbookCell[]): string[] => cells.map((cell) => `${cell.kind}:${cell.language}:${cell.value}`);
const edit = (text: string, index: number, change: Partial<RunbookCell>): string => {
  const parsed = parseRunbook(text);
  const cells = parsed.cells.map((cell, i) => (i === index ? { ...cell, ...change } : cell));
  return serializeRunbook({ ...parsed, cells });
};

const drill = [
  '---',
  'title: Churn model — rollback drill',
  'plan: ./churn-canary.rollout.yaml',
  'environment: staging',
  'owner: ml-platform',
  '---',
  '# Is the canary healthy?',
  '',
  '```promql {"name":"canary_errors","expect":"< 0.02"}',
  'sum(rate(rollgate_dev_requests_total{version="{{candidate.version}}",code=~"5.."}[1m]))',
  '```',
  '',
  'Check the deployment:',
  '',
  '```http {"name":"status"}',
  'GET {{endpoints.deployment.url}}/v1/services/churn-scorer',
  '```',
  '',
  '```rollout {"effect":"mutate"}',
  'rollback to baseline reason "5xx above guardrail"',
  '```',
  '',
].join('\n');

describe('parseRunbook', () => {
  it('reads front matter, runnable fences and Markdown between them', () => {
    const { metadata, cells, diagnostics } = parseRunbook(drill);
    expect(diagnostics).toEqual([]);
    expect(metadata).toMatchObject({
      title: 'Churn model — rollback drill',
      plan: './churn-canary.rollout.yaml',
      environment: 'staging',
      frontMatter: { owner: 'ml-platform' },
      lineEnding: '\n',
    });
    expect(metadata.preamble).toBe(drill.slice(0, drill.indexOf('# Is')));
    expect(summary(cells)).toEqual([
      'markdown:markdown:# Is the canary healthy?',
      'code:promql:sum(rate(rollgate_dev_requests_total{version="{{candidate.version}}",code=~"5.."}[1m]))',
      'markdown:markdown:Check the deployment:',
      'code:http:GET {{endpoints.deployment.url}}/v1/services/churn-scorer',
      'code:rollout:rollback to baseline reason "5xx above guardrail"',
    ]);
    expect(cells[1]!.attributes).toEqual({ name: 'canary_errors', expect: '< 0.02' });
    expect(cells[4]!.attributes).toEqual({ effect: 'mutate' });
    roundTrips(drill);
  });

  it('keeps other languages, nested fences and fences in HTML as Markdown', () => {
    const text = [
      '```python',
      'print(1)',
      '```',
      '- step one',
      '  ```http',
      '  GET /nested',
      '  ```',
      '> ```check',
      '> quoted',
      '> ```',
      '',
      '<div>',
      '```rollout',
      'status',
      '```',
      '</div>',
      '',
      '    ```promql',
      '    indented code block, not a fence',
      '    ```',
      '',
    ].join('\n');
    const { cells, diagnostics } = parseRunbook(text);
    expect(cells.every((cell) => cell.kind === 'markdown')).toBe(true);
    expect(diagnostics.map((d) => [d.code, text.slice(d.start, d.end)])).toEqual([
      ['runbook/nested-fence-not-runnable', '  ```http\n'],
      ['runbook/nested-fence-not-runnable', '> ```check\n'],
    ]);
    roundTrips(text);
  });

  it('splits Markdown before top-level headings only', () => {
    const text = '# One\npara\n\n## Two\n> # quoted heading\n\nSetext\n======\n';
    expect(summary(parseRunbook(text).cells)).toEqual(['markdown:markdown:# One\npara', 'markdown:markdown:## Two\n> # quoted heading', 'markdown:markdown:Setext\n======']);
    roundTrips(text);
  });

  it('reports bad attribute JSON with its offsets and keeps going', () => {
    const text = '```http {"name": status}\nGET /x\n```\n\n```check ["a"]\n```\n';
    const { cells, diagnostics } = parseRunbook(text);
    expect(cells.map((cell) => cell.attributes)).toEqual([{}, {}]);
    expect(diagnostics.map((d) => [d.code, text.slice(d.start, d.end)])).toEqual([
      ['runbook/attributes-invalid', '{"name": status}'],
      ['runbook/attributes-not-object', '["a"]'],
    ]);
    roundTrips(text);
  });

  it('checks attribute values and duplicate names', () => {
    const text = '```http {"name":"status","effect":"delete","colour":1}\n```\n```promql {"name":"status","step":"1m"}\n```\n';
    const codes = parseRunbook(text).diagnostics.map((d) => `${d.severity} ${d.code}`);
    expect(codes).toEqual(['warning runbook/attribute-unknown', 'error runbook/attribute-effect-invalid', 'warning runbook/attribute-step-without-range', 'warning runbook/duplicate-cell-name']);
  });

  it('reports invalid front matter with offsets inside it, without throwing', () => {
    const text = '---\ntitle: [unclosed\n---\n# Body\n';
    const { metadata, cells, diagnostics } = parseRunbook(text);
    expect(metadata.frontMatter).toEqual({});
    expect(diagnostics.length).toBeGreaterThan(0);
    for (const d of diagnostics) {
      expect(d.code).toBe('runbook/front-matter-invalid');
      expect(d.start).toBeGreaterThanOrEqual(4);
      expect(d.end).toBeLessThanOrEqual(text.indexOf('---', 4));
    }
    expect(summary(cells)).toEqual(['markdown:markdown:# Body']);
    roundTrips(text);

    const wrongType = '---\nenvironment: 3\n---\n';
    const typed = parseRunbook(wrongType);
    expect(typed.metadata.environment).toBeUndefined();
    expect(typed.diagnostics.map((d) => [d.code, wrongType.slice(d.start, d.end)])).toEqual([['runbook/front-matter-type', 'environment: 3\n']]);

    const notMapping = '---\n- a\n---\n';
    expect(parseRunbook(notMapping).diagnostics.map((d) => d.code)).toEqual(['runbook/front-matter-not-mapping']);
    roundTrips(notMapping);
  });

  it('treats an unterminated front matter block as Markdown', () => {
    const text = '---\ntitle: x\n';
    const { metadata, cells } = parseRunbook(text);
    expect(metadata.frontMatter).toEqual({});
    expect(cells).toHaveLength(1);
    roundTrips(text);
  });

  it('lets a later `---` line close a front matter opened on the first line (known limit)', () => {
    // Like code hosts, front matter ends at the next `---` line, even inside a fence. So editing a
    // cell of such a file to hold `---` turns the top of the file into front matter; the edit
    // itself still changes only that cell's bytes.
    const text = '---\ntitle: t\n```http\nGET /\n```\n';
    expect(parseRunbook(text).metadata.frontMatter).toEqual({});
    const edited = edit(text, 1, { value: '---' });
    expect(edited).toBe('---\ntitle: t\n```http\n---\n```\n');
    expect(parseRunbook(edited).metadata.preamble).toBe('---\ntitle: t\n```http\n---\n');
  });

  it('strips the fence indentation from the value of an indented fence', () => {
    const text = '  ```http\n  GET /a\n     deeper\n nope\n  ```\n';
    expect(parseRunbook(text).cells[0]!.value).toBe('GET /a\n   deeper\nnope');
    roundTrips(text);
  });

  it('keeps an unclosed fence open to the end of the file', () => {
    const text = 'intro\n\n```http\nGET /a\n\n';
    const { cells } = parseRunbook(text);
    expect(summary(cells)).toEqual(['markdown:markdown:intro', 'code:http:GET /a\n']);
    expect(cells[1]!.source!.fence!.closeLine).toBe('');
    roundTrips(text);
  });

  it('accepts longer and tilde fences with matching closers only', () => {
    const text = '~~~~check {"name":"gates"}\n~~~\n```\n~~~~~\n';
    const { cells } = parseRunbook(text);
    expect(summary(cells)).toEqual(['code:check:~~~\n```']);
    expect(cells[0]!.source!.fence).toMatchObject({ markup: '~~~~', closeLine: '~~~~~\n' });
    roundTrips(text);
  });
});

describe('lossless round trip, example cases', () => {
  const cases: Record<string, string> = {
    'empty file': '',
    'only blank lines': '\n \n\t\n',
    'no trailing newline': '# Title\n\n```http\nGET /x\n```',
    'CRLF everywhere': '---\r\ntitle: t\r\n---\r\n# A\r\n\r\n```http\r\nGET /x\r\n```\r\n',
    'lone CR': '# A\r\r```promql\rup\r```\r',
    'mixed line endings': '# A\r\ntext\n\r```http\r\nGET /x\n```\r',
    'byte-order mark and front matter': '\uFEFF---\ntitle: t\n---\n\n\n# A\n',
    'byte-order mark without front matter': '\uFEFF```http\nGET /\n```\n',
    tabs: '#\tTab heading\n\n\t```http\n\tindented code\n```check\t{"name":"a"}\t\nx\t\n```\t\n',
    'trailing whitespace lines': '```http\nGET /\n```\n  \n\t\n',
    'reference definitions between cells': '[a]: https://example.invalid\n```http\nGET /\n```\n[b]: /x\n',
    'NUL characters': 'a\0b\n```http\n\0\n```\n',
    'front matter closed by dots': '---\nenvironment: prod\n...\n```check\n```\n',
    'front matter only, no newline': '---\ntitle: t\n---',
    'lists holding code': '1. a\n   ```rollout\n   status\n   ```\n\n   - b\n     ~~~http\n     GET /\n     ~~~\n',
  };
  for (const [name, text] of Object.entries(cases)) {
    it(name, () => roundTrips(text));
  }

  it('the 2 MB benchmark runbook, with its CRLF twin', () => {
    const text = generateRunbook();
    const { cells, diagnostics } = parseRunbook(text);
    expect(cells.length).toBeGreaterThan(5000);
    expect(diagnostics.filter((d) => d.severity !== 'info')).toEqual([]);
    roundTrips(text);
    roundTrips(text.replace(/\n/g, '\r\n'));
  });

  it('every fixture and example runbook', () => {
    const folders = [join(__dirname, '../../fixtures/runbooks'), join(__dirname, '../../../examples')];
    let count = 0;
    for (const folder of folders) {
      for (const file of readdirSync(folder).filter((name) => name.endsWith('.md'))) {
        roundTrips(readFileSync(join(folder, file), 'utf8'));
        count++;
      }
    }
    expect(count).toBeGreaterThanOrEqual(3);
  });
});

describe('serializeRunbook after edits', () => {
  it('re-emits an edited code cell with its own fence, indent and info string', () => {
    const text = '# A\r\n\r\n  ~~~~http {"name":"s"}  \r\n  GET /old\r\n  ~~~~\r\n\r\nafter\r\n';
    expect(edit(text, 1, { value: 'GET /new\nHost: x' })).toBe('# A\r\n\r\n  ~~~~http {"name":"s"}  \r\n  GET /new\r\n  Host: x\r\n  ~~~~\r\n\r\nafter\r\n');
  });

  it('rewrites only the info string when attributes change', () => {
    const text = '```promql {"name":"a"}\nup\n```\n';
    expect(edit(text, 0, { attributes: { name: 'a', expect: '> 0' } })).toBe('```promql {"name":"a","expect":"> 0"}\nup\n```\n');
    expect(edit(text, 0, { attributes: {} })).toBe('```promql\nup\n```\n');
    expect(edit(text, 0, { attributes: { expect: 'a`b' } })).toBe('```promql {"expect":"a\\u0060b"}\nup\n```\n');
  });

  it('keeps unparseable attributes when only the body changes', () => {
    const text = '```http {oops\nGET /\n```\n';
    expect(edit(text, 0, { value: 'GET /x' })).toBe('```http {oops\nGET /x\n```\n');
  });

  it('lengthens the fence when the new value would close it early', () => {
    const text = '```http\nGET /\n```\n';
    const edited = edit(text, 0, { value: 'a\n```\nb' });
    expect(edited).toBe('````http\na\n```\nb\n````\n');
    expect(parseRunbook(edited).cells[0]!.value).toBe('a\n```\nb');
  });

  it('emits an edited Markdown cell as its new text and leaves the rest alone', () => {
    const text = '# A\n\n```http\nGET /\n```\n\n\n# B\ntext';
    expect(edit(text, 0, { value: '# A, renamed\n\nmore' })).toBe('# A, renamed\n\nmore\n\n```http\nGET /\n```\n\n\n# B\ntext');
    expect(edit(text, 2, { value: '# B\nnew text' })).toBe('# A\n\n```http\nGET /\n```\n\n\n# B\nnew text');
  });

  it("separates new cells with blank lines and the file's line ending", () => {
    const text = '# A\r\ntext';
    const parsed = parseRunbook(text);
    const added: RunbookCell = { kind: 'code', language: 'http', attributes: { name: 'status' }, value: 'GET /x' };
    const note: RunbookCell = { kind: 'markdown', language: 'markdown', attributes: {}, value: 'Note' };
    const output = serializeRunbook({ ...parsed, cells: [note, ...parsed.cells, added] });
    expect(output).toBe('Note\r\n\r\n# A\r\ntext\r\n\r\n```http {"name":"status"}\r\nGET /x\r\n```\r\n');
    expect(summary(parseRunbook(output).cells)).toEqual(['markdown:markdown:Note', 'markdown:markdown:# A\r\ntext', 'code:http:GET /x']);
  });

  it('closes a formerly unclosed fence when a cell is added after it', () => {
    const text = '```http\nGET /';
    const parsed = parseRunbook(text);
    const added: RunbookCell = { kind: 'markdown', language: 'markdown', attributes: {}, value: 'after' };
    const output = serializeRunbook({ ...parsed, cells: [...parsed.cells, added] });
    expect(output).toBe('```http\nGET /\n```\n\nafter\n');
    expect(parseRunbook(output).cells).toHaveLength(2);
  });

  it('writes front matter for a runbook built in code', () => {
    const output = serializeRunbook({
      metadata: { title: 'Drill', plan: './churn-canary.rollout.yaml', environment: 'staging', frontMatter: {} },
      cells: [{ kind: 'code', language: 'check', attributes: {}, value: '' }],
    });
    expect(output).toBe('---\ntitle: Drill\nplan: ./churn-canary.rollout.yaml\nenvironment: staging\n---\n\n```check\n```\n');
    expect(parseRunbook(output).metadata.environment).toBe('staging');
  });

  it("saves unchanged when an editor normalised a cell's line endings", () => {
    const text = '# A\r\nb\n\n```http\r\nGET /\nHost: x\r\n```\n';
    const parsed = parseRunbook(text);
    const cells = parsed.cells.map((cell) => ({ ...cell, value: cell.value.replace(/\r\n/g, '\n') }));
    expect(serializeRunbook({ ...parsed, cells })).toBe(text);
  });

  it('drops deleted cells and keeps the others byte-exact', () => {
    const text = '# A\n\n```http\nGET /\n```\n\n# B\n';
    const parsed = parseRunbook(text);
    expect(serializeRunbook({ ...parsed, cells: [parsed.cells[0]!, parsed.cells[2]!] })).toBe('# A\n\n# B\n');
  });
});

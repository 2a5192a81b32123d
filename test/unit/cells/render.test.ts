import { describe, expect, it } from 'vitest';

import { renderResultText, renderSeriesSvg, renderTableMarkdown, renderTableText } from '../../../src/core/cells/render';

describe('rendering', () => {
  it('renders a Markdown table, escaping pipes and newlines inside cells', () => {
    expect(renderTableMarkdown(['a', 'b'], [['x|y', 'line\nbreak']])).toBe('| a | b |\n| --- | --- |\n| x\\|y | line break |');
    expect(renderTableMarkdown([], [])).toBe('_no data_');
  });

  it('renders an aligned text table', () => {
    expect(
      renderTableText(
        ['version', 'value'],
        [
          ['41', '0.5'],
          ['42', '12'],
        ],
      ),
    ).toBe('version  value\n-------  -----\n41       0.5\n42       12');
  });

  it('draws one path per series with a legend, escaping labels; says "no data" when empty', () => {
    const svg = renderSeriesSvg(
      [
        {
          labels: { version: '41' },
          points: [
            { timestamp: 1, value: 1 },
            { timestamp: 2, value: 3 },
          ],
        },
        {
          labels: { version: '<42>' },
          points: [
            { timestamp: 1, value: 2 },
            { timestamp: 2, value: Number.NaN },
          ],
        },
      ],
      { title: 'a < b' },
    );
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.match(/<path /g)).toHaveLength(2);
    expect(svg).toContain('{version=&quot;&lt;42&gt;&quot;}');
    expect(svg).toContain('a &lt; b');
    expect(svg).not.toContain('<script');
    expect(renderSeriesSvg([])).toContain('no data');
  });

  it('prints a result with its request, outputs and error', () => {
    const text = renderResultText(
      {
        kind: 'http',
        outcome: 'failure',
        ok: false,
        mutating: false,
        diagnostics: [],
        outputs: [{ kind: 'text', text: 'HTTP 503 Service Unavailable' }],
        request: { method: 'GET', url: 'http://127.0.0.1:1/x' },
        status: 503,
        error: 'HTTP 503 Service Unavailable: overloaded',
        durationMs: 12.4,
      },
      'status',
    );
    expect(text).toBe('── status [http] failure HTTP 503 12 ms\nGET http://127.0.0.1:1/x\nHTTP 503 Service Unavailable\nerror: HTTP 503 Service Unavailable: overloaded\n');
  });
});

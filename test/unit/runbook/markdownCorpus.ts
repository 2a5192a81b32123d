import fc from 'fast-check';

/**
 * fast-check arbitraries for runbook-shaped Markdown: real block structures (headings, lists
 * with nested fences, block quotes, tables, HTML, front matter, runnable and other fences,
 * unclosed fences) joined with random line endings, plus raw noise over Markdown's special
 * characters. Used by the round-trip property tests.
 */

type Lines = readonly string[];

const word = fc.constantFrom('canary', 'rollback', 'GET', 'p99', 'error', '`code`', '*em*', '{{status.body.stable}}', 'ü', '😀', 'a\tb', '\\', '<b>', '[link](x)', '');
const inlineText = fc.array(word, { minLength: 1, maxLength: 5 }).map((words) => words.join(' '));
const spaces = fc.constantFrom('', ' ', '  ', '   ');
const trailing = fc.constantFrom('', '', ' ', '\t', '  ');

const heading: fc.Arbitrary<Lines> = fc.oneof(
  fc.tuple(fc.integer({ min: 1, max: 6 }), inlineText, spaces).map(([level, text, indent]) => [`${indent}${'#'.repeat(level)} ${text}`]),
  fc.tuple(inlineText, fc.constantFrom('===', '---', '-')).map(([text, underline]) => [text, underline]),
);

const paragraph: fc.Arbitrary<Lines> = fc.array(inlineText, { minLength: 1, maxLength: 3 });

const languageWord = fc.oneof({ arbitrary: fc.constantFrom('http', 'promql', 'rollout', 'check'), weight: 3 }, { arbitrary: fc.constantFrom('python', '', 'HTTP', 'httpx', 'json'), weight: 1 });
const attributes = fc.oneof(
  fc.constant(''),
  fc.constant(' {"name":"status"}'),
  fc.constant(' {"name":"canary_errors","expect":"< 0.02","range":"15m","step":"1m"}'),
  fc.constant(' {"effect":"mutate"}'),
  fc.constant(' {bad json'),
  fc.constant(' [1,2]'),
  fc.constant('{"name":"tight"}'),
  fc.constant(' {"name":"dup"} trailing'),
  fc.constant(' {"unknown":true}'),
);
const bodyLine = fc.oneof(
  inlineText,
  fc.constant('GET {{endpoints.deployment.url}}/v1/services/churn-scorer'),
  fc.constant('sum(rate(rollgate_dev_requests_total{code=~"5.."}[1m]))'),
  fc.constant('```'),
  fc.constant('~~~'),
  fc.constant('  ````'),
  fc.constant(''),
  fc.constant('    indented'),
  fc.constant('\tTabbed'),
);

const fence: fc.Arbitrary<Lines> = fc
  .record({
    indent: spaces,
    marker: fc.constantFrom('`', '~'),
    length: fc.integer({ min: 3, max: 5 }),
    language: languageWord,
    attributes,
    body: fc.array(bodyLine, { maxLength: 4 }),
    close: fc.constantFrom('same', 'longer', 'indented', 'none', 'trailing'),
    trail: trailing,
  })
  .map(({ indent, marker, length, language, attributes, body, close, trail }) => {
    const markup = marker.repeat(length);
    const lines = [`${indent}${markup}${language}${attributes}${trail}`, ...body.map((line) => (line === '' ? '' : indent + line))];
    if (close === 'same') lines.push(indent + markup);
    else if (close === 'longer') lines.push(markup + marker);
    else if (close === 'indented') lines.push(' ' + markup);
    else if (close === 'trailing') lines.push(markup + ' \t');
    return lines;
  });

const nestedIndent = (lines: Lines, indent: string): Lines => lines.map((line) => (line === '' ? '' : indent + line));

const listItemContent: fc.Arbitrary<Lines> = fc.oneof(
  inlineText.map((text) => [text]),
  fc.tuple(inlineText, fence).map(([text, inner]) => [text, ...nestedIndent(inner, '  ')]),
  fc.tuple(inlineText, inlineText).map(([text, child]) => [text, `  - ${child}`, `    ${child}`]),
  fc.tuple(inlineText, fence).map(([text, inner]) => [text, '  - nested', ...nestedIndent(inner, '    ')]),
);

const list: fc.Arbitrary<Lines> = fc
  .tuple(fc.constantFrom('- ', '* ', '1. ', '+ '), fc.array(listItemContent, { minLength: 1, maxLength: 3 }), fc.boolean())
  .map(([bullet, items, loose]) => items.flatMap((item, index) => [...(loose && index > 0 ? [''] : []), bullet + item[0], ...nestedIndent(item.slice(1), ' '.repeat(Math.max(0, bullet.length - 2)))]));

const blockQuote: fc.Arbitrary<Lines> = fc.tuple(fc.oneof(paragraph, fence, list), fc.boolean()).map(([inner, lazy]) => inner.map((line, index) => (lazy && index === inner.length - 1 ? line : `> ${line}`)));

const table: fc.Arbitrary<Lines> = fc.constant(['| version | 5xx |', '|---|--:|', '| v2 | 0.01 |']);
const html: fc.Arbitrary<Lines> = fc.oneof(
  fc.constant(['<div>', '```http', 'GET /x', '```', '</div>']),
  fc.constant(['<!-- note', '```check', '-->']),
  fc.constant(['<details><summary>more</summary>', '', 'text', '</details>']),
);
const indentedCode: fc.Arbitrary<Lines> = fc.constant(['    ```http', '    GET /not-a-cell', '    ```']);
const thematicBreak: fc.Arbitrary<Lines> = fc.constantFrom(['---'], ['***'], ['- - -']);
const referenceDefinition: fc.Arbitrary<Lines> = fc.constant(['[ref]: https://example.invalid "title"']);
const blankLines: fc.Arbitrary<Lines> = fc.array(fc.constantFrom('', ' ', '\t', '  '), { minLength: 1, maxLength: 3 });

const block: fc.Arbitrary<Lines> = fc.oneof(
  { arbitrary: heading, weight: 3 },
  { arbitrary: paragraph, weight: 3 },
  { arbitrary: fence, weight: 6 },
  { arbitrary: list, weight: 3 },
  { arbitrary: blockQuote, weight: 2 },
  { arbitrary: table, weight: 1 },
  { arbitrary: html, weight: 1 },
  { arbitrary: indentedCode, weight: 1 },
  { arbitrary: thematicBreak, weight: 1 },
  { arbitrary: referenceDefinition, weight: 1 },
  { arbitrary: blankLines, weight: 3 },
);

const frontMatter: fc.Arbitrary<Lines> = fc.oneof(
  { arbitrary: fc.constant([] as string[]), weight: 6 },
  { arbitrary: fc.constant(['---', 'title: Churn model — rollback drill', 'plan: ./churn-canary.rollout.yaml', 'environment: staging', '---']), weight: 4 },
  { arbitrary: fc.constant(['---', 'title: [unclosed', '---']), weight: 1 },
  { arbitrary: fc.constant(['---', '- a list', '---']), weight: 1 },
  { arbitrary: fc.constant(['---', 'title: no closing line']), weight: 1 },
  { arbitrary: fc.constant(['---', '...']), weight: 1 },
  { arbitrary: fc.constant(['---  ', 'environment: prod', '...']), weight: 1 },
);

const lineEndingStyle = fc.oneof(
  { arbitrary: fc.constant(['\n']), weight: 4 },
  { arbitrary: fc.constant(['\r\n']), weight: 2 },
  { arbitrary: fc.constant(['\r']), weight: 1 },
  { arbitrary: fc.constant(['\n', '\r\n', '\r']), weight: 2 },
);

/** A whole Markdown document built from blocks, with random line endings and edges. */
export const markdownDocument: fc.Arbitrary<string> = fc
  .record({
    bom: fc.boolean().map((on) => (on ? '\uFEFF' : '')),
    frontMatter,
    blocks: fc.array(fc.tuple(block, fc.array(fc.constantFrom('', '  '), { maxLength: 2 })), { maxLength: 16, size: 'medium' }),
    style: lineEndingStyle,
    choices: fc.array(fc.nat(), { minLength: 64, maxLength: 64 }),
    finalNewline: fc.boolean(),
  })
  .map(({ bom, frontMatter, blocks, style, choices, finalNewline }) => {
    const lines = [...frontMatter, ...blocks.flatMap(([lines, gap]) => [...lines, ...gap])];
    let text = bom;
    lines.forEach((line, index) => {
      const ending = style[choices[index % choices.length]! % style.length]!;
      text += line + (index < lines.length - 1 || finalNewline ? ending : '');
    });
    return text;
  });

/** Unstructured noise over the characters that matter to Markdown block parsing. */
export const markdownNoise: fc.Arbitrary<string> = fc
  .array(
    fc.constantFrom('`', '```', '~~~', '~', '-', '---', '#', '>', '*', '|', ' ', '   ', '\t', '\n', '\r\n', '\r', '{', '}', '"', 'http', 'promql', 'rollout', 'check', 'a', '1.', '\uFEFF', '\0', '<div>', '[x]: y', '😀'),
    { maxLength: 80 },
  )
  .map((pieces) => pieces.join(''));

/** New text for a cell: ordinary text, fence look-alikes and line-ending mixtures. */
export const cellValue: fc.Arbitrary<string> = fc.oneof(
  inlineText,
  fc.array(fc.oneof(bodyLine, inlineText), { maxLength: 4 }).map((lines) => lines.join('\n')),
  fc.array(fc.oneof(bodyLine, inlineText), { maxLength: 4 }).map((lines) => lines.join('\r\n')),
  markdownNoise,
  fc.constant(''),
);

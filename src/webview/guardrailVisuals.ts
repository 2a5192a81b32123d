// Inline SVG for the ML guardrail kinds and judged stages, drawn with the DOM (createElementNS,
// textContent; no markup strings) and styled only through classes in media/panel.css, so it
// works under the panel's CSP and follows light, dark and high-contrast themes.
import { formatValue } from '../core/panel/model';
import { gauge, pairedBars, sharedSeries, type CalibrationVisual, type CompareVisual, type DriftVisual, type GuardrailVisual, type JudgeVisual } from '../core/panel/visuals';

const SVG = 'http://www.w3.org/2000/svg';
const WIDTH = 220;

function svgNode<K extends keyof SVGElementTagNameMap>(tag: K, attributes: Record<string, string | number>, className?: string): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  if (className) node.setAttribute('class', className);
  return node;
}

function svgText(x: number, y: number, text: string, className: string, anchor: 'start' | 'middle' | 'end' = 'start'): SVGTextElement {
  const node = svgNode('text', { x, y, 'text-anchor': anchor }, className);
  node.textContent = text;
  return node;
}

function frame(height: number, label: string, className: string): SVGSVGElement {
  const svg = svgNode('svg', { width: WIDTH, height, viewBox: `0 0 ${WIDTH} ${height}`, role: 'img', 'aria-label': label }, `ml-visual ${className}`);
  const title = svgNode('title', {});
  title.textContent = label;
  svg.append(title);
  return svg;
}

/** A gauge: the value as a bar, the bound as a dashed marker, both labelled. */
function drawGauge(svg: SVGSVGElement, y: number, value: number, bound: number, label: string, failing: boolean): void {
  const { valueX, boundX } = gauge(value, bound, WIDTH - 2);
  svg.append(svgNode('rect', { x: 1, y, width: WIDTH - 2, height: 8 }, 'gauge-track'));
  svg.append(svgNode('rect', { x: 1, y, width: Math.max(1, valueX), height: 8 }, failing ? 'gauge-value failing' : 'gauge-value'));
  svg.append(svgNode('line', { x1: 1 + boundX, x2: 1 + boundX, y1: y - 3, y2: y + 11 }, 'bound-line'));
  svg.append(svgText(1, y + 22, label, 'visual-label'));
}

function drawDrift(visual: DriftVisual): SVGSVGElement {
  const barsHeight = 48;
  const name = visual.method === 'psi' ? 'PSI' : 'JS';
  const label = `${name} ${formatValue(visual.value)} against max ${formatValue(visual.max)}; baseline and candidate share per bucket: ${visual.buckets
    .map((edge, index) => `≤${edge} ${formatValue(visual.baselineShares[index])} vs ${formatValue(visual.candidateShares[index])}`)
    .join(', ')}`;
  const svg = frame(barsHeight + 60, label, 'drift-visual');
  const bars = pairedBars(visual.baselineShares, visual.candidateShares, WIDTH, barsHeight);
  bars.baseline.forEach((rect) => svg.append(svgNode('rect', { ...rect }, 'bar-baseline')));
  bars.candidate.forEach((rect) => svg.append(svgNode('rect', { ...rect }, 'bar-candidate')));
  svg.append(svgNode('line', { x1: 0, x2: WIDTH, y1: barsHeight + 0.5, y2: barsHeight + 0.5 }, 'axis'));
  if (visual.buckets.length > 0) {
    svg.append(svgText(0, barsHeight + 11, `≤${visual.buckets[0]}`, 'visual-label'));
    svg.append(svgText(WIDTH, barsHeight + 11, `≤${visual.buckets.at(-1)}`, 'visual-label', 'end'));
  }
  svg.append(svgNode('rect', { x: WIDTH / 2 - 44, y: barsHeight + 4, width: 7, height: 7 }, 'bar-baseline'));
  svg.append(svgText(WIDTH / 2 - 34, barsHeight + 11, 'baseline', 'visual-label'));
  svg.append(svgNode('rect', { x: WIDTH / 2 + 8, y: barsHeight + 4, width: 7, height: 7 }, 'bar-candidate'));
  svg.append(svgText(WIDTH / 2 + 18, barsHeight + 11, 'candidate', 'visual-label'));
  drawGauge(svg, barsHeight + 20, visual.value, visual.max, `${name} ${formatValue(visual.value)} · max ${formatValue(visual.max)}`, visual.value > visual.max);
  return svg;
}

function drawCompare(visual: CompareVisual): SVGSVGElement {
  const plotHeight = 44;
  const significant = visual.pValue < visual.alpha;
  const effect = visual.effectSize === null ? 'median up from 0' : `median ${visual.effectSize >= 0 ? '+' : ''}${formatValue(visual.effectSize * 100)}%`;
  const summary = `p ${formatValue(visual.pValue)} ${significant ? '<' : '≥'} α ${formatValue(visual.alpha)} · ${effect}`;
  const label = `Mann–Whitney U: ${summary}; ${visual.baselineSamples.length} baseline and ${visual.candidateSamples.length} candidate samples`;
  const svg = frame(plotHeight + 30, label, 'compare-visual');
  const [baseline, candidate] = sharedSeries(visual.baselineSamples, visual.candidateSamples, WIDTH - 2, plotHeight);
  svg.append(svgNode('polyline', { points: baseline, transform: 'translate(1 1)' }, 'series-baseline'));
  svg.append(svgNode('polyline', { points: candidate, transform: 'translate(1 1)' }, 'series-candidate'));
  svg.append(svgNode('line', { x1: 0, x2: WIDTH, y1: plotHeight + 1.5, y2: plotHeight + 1.5 }, 'axis'));
  svg.append(svgText(1, plotHeight + 14, 'baseline', 'visual-label legend-baseline'));
  svg.append(svgText(WIDTH - 1, plotHeight + 14, 'candidate', 'visual-label legend-candidate', 'end'));
  svg.append(svgText(1, plotHeight + 27, summary, significant ? 'visual-label significant' : 'visual-label'));
  return svg;
}

function drawCalibration(visual: CalibrationVisual): SVGSVGElement {
  const size = 60;
  const label = `ECE ${formatValue(visual.ece)}${visual.max !== undefined ? ` against max ${formatValue(visual.max)}` : ''}; observed rate per bin: ${visual.bins
    .map((bin) => `${formatValue(bin.lower)}–${formatValue(bin.upper)} ${bin.count > 0 ? formatValue(bin.observed) : 'empty'}`)
    .join(', ')}`;
  const svg = frame(size + 34, label, 'calibration-visual');
  const x = (score: number) => 1 + score * (WIDTH - 2);
  const y = (rate: number) => 1 + (1 - rate) * size;
  svg.append(svgNode('line', { x1: x(0), y1: y(0), x2: x(1), y2: y(1) }, 'diagonal'));
  for (const bin of visual.bins) {
    if (bin.count <= 0) continue;
    svg.append(svgNode('rect', { x: x(bin.lower) + 0.5, y: y(bin.observed), width: Math.max(0.5, x(bin.upper) - x(bin.lower) - 1), height: y(0) - y(bin.observed) }, 'bar-candidate'));
  }
  svg.append(svgNode('line', { x1: 0, x2: WIDTH, y1: size + 1.5, y2: size + 1.5 }, 'axis'));
  if (visual.max !== undefined) drawGauge(svg, size + 6, visual.ece, visual.max, `ECE ${formatValue(visual.ece)} · max ${formatValue(visual.max)}`, visual.ece > visual.max);
  else svg.append(svgText(1, size + 16, `ECE ${formatValue(visual.ece)}`, 'visual-label'));
  return svg;
}

/** The chart of one guardrail's latest measurement. */
export function renderGuardrailVisual(visual: GuardrailVisual): SVGSVGElement {
  switch (visual.kind) {
    case 'drift':
      return drawDrift(visual);
    case 'compare':
      return drawCompare(visual);
    case 'calibration':
      return drawCalibration(visual);
  }
}

/** A judged stage's score: a meter with the marginal and pass marks, and the verdict in words. */
export function renderJudge(judge: JudgeVisual): HTMLElement {
  const box = document.createElement('div');
  box.className = `judge judge-${judge.verdict}`;
  const score = judge.score === undefined ? 'no score yet' : `score ${formatValue(Math.round(judge.score * 10) / 10)}`;
  const text = `${score} · ${judge.verdict} (pass ≥ ${judge.pass}, marginal ≥ ${judge.marginal})`;
  const svg = frame(12, `Judged stage: ${text}. ${judge.reason}`, 'judge-meter');
  const x = (points: number) => 1 + (points / 100) * (WIDTH - 2);
  svg.append(svgNode('rect', { x: 1, y: 2, width: WIDTH - 2, height: 8 }, 'gauge-track'));
  if (judge.score !== undefined) svg.append(svgNode('rect', { x: 1, y: 2, width: Math.max(1, x(judge.score) - 1), height: 8 }, `gauge-value verdict-${judge.verdict}`));
  svg.append(svgNode('line', { x1: x(judge.marginal), x2: x(judge.marginal), y1: 0, y2: 12 }, 'bound-line marginal-mark'));
  svg.append(svgNode('line', { x1: x(judge.pass), x2: x(judge.pass), y1: 0, y2: 12 }, 'bound-line pass-mark'));
  const caption = document.createElement('span');
  caption.className = 'judge-text';
  caption.textContent = text;
  caption.title = judge.reason;
  box.append(svg, caption);
  return box;
}

/** A table row under a guardrail's row, holding its chart across the columns. */
export function renderGuardrailVisualRow(visual: GuardrailVisual): HTMLTableRowElement {
  const row = document.createElement('tr');
  row.className = `guardrail-visual visual-${visual.kind}`;
  const cell = document.createElement('td');
  cell.colSpan = 5;
  cell.append(renderGuardrailVisual(visual));
  row.append(cell);
  return row;
}

import { Counter, Histogram, type Registry } from 'prom-client';

/** Bins of the labelled-score histogram and counter: the prediction-score buckets. */
export const scoreBuckets = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1];

/** What a label needs to know about the prediction it belongs to and the version's fault. */
export interface LabelInput {
  version: string;
  /** The score the version predicted (the probability of churn it claims). */
  score: number;
  /** Share of answers made wrong, and the offset of the true probability from the score. */
  accuracyDrop: number;
  miscalibration: number;
}

/**
 * Delayed ground truth for the simulator's predictions: each scored request gets its true
 * outcome `labelDelayMs` later, drawn with probability `score − miscalibration` (so a version
 * without faults is calibrated), then made wrong for a share `accuracyDrop` of answers. The
 * outcome lands in three metrics: correct/incorrect per version (accuracy), a histogram of the
 * scores by true label, and a counter per score bin and label (calibration, two ways).
 */
export class DelayedLabels {
  readonly #outcomes: Counter<'version' | 'outcome'>;
  readonly #labelledScore: Histogram<'version' | 'label'>;
  readonly #byBin: Counter<'version' | 'bin' | 'label'>;
  readonly #pending = new Set<ReturnType<typeof setTimeout>>();
  #stopped = false;

  constructor(
    registry: Registry,
    private readonly random: () => number,
    private readonly delayMs: number,
  ) {
    this.#outcomes = new Counter({
      name: 'rollgate_dev_label_outcomes_total',
      help: 'Labelled predictions per version whose predicted class (score >= 0.5) was correct or incorrect once the true outcome arrived.',
      labelNames: ['version', 'outcome'],
      registers: [registry],
    });
    this.#labelledScore = new Histogram({
      name: 'rollgate_dev_labelled_score',
      help: 'Scores of labelled predictions, by the true outcome (label 1 = churned): calibration from a histogram with a label dimension.',
      labelNames: ['version', 'label'],
      buckets: scoreBuckets,
      registers: [registry],
    });
    this.#byBin = new Counter({
      name: 'rollgate_dev_labels_by_bin_total',
      help: 'Labelled predictions per score bin (bin = upper edge) and true outcome: calibration from a counter per bin and outcome.',
      labelNames: ['version', 'bin', 'label'],
      registers: [registry],
    });
  }

  /** Starts a version's accuracy series at zero so that rates read 0 rather than "no data". */
  initialise(version: string): void {
    this.#outcomes.inc({ version, outcome: 'correct' }, 0);
    this.#outcomes.inc({ version, outcome: 'incorrect' }, 0);
  }

  /** Draws the outcome now and records it after the label delay. */
  schedule(input: LabelInput): void {
    if (this.#stopped) return;
    const predicted = input.score >= 0.5 ? 1 : 0;
    const truth = Math.min(1, Math.max(0, input.score - input.miscalibration));
    let label = this.random() < truth ? 1 : 0;
    if (this.random() < input.accuracyDrop) label = 1 - predicted;
    const record = (): void => {
      this.#outcomes.inc({ version: input.version, outcome: label === predicted ? 'correct' : 'incorrect' });
      this.#labelledScore.observe({ version: input.version, label: String(label) }, input.score);
      const bin = scoreBuckets.find((edge) => input.score <= edge) ?? 1;
      this.#byBin.inc({ version: input.version, bin: String(bin), label: String(label) });
    };
    if (this.delayMs <= 0) return record();
    const timer = setTimeout(() => {
      this.#pending.delete(timer);
      record();
    }, this.delayMs);
    this.#pending.add(timer);
  }

  /** Drops labels still waiting; nothing is recorded after this. */
  stop(): void {
    this.#stopped = true;
    for (const timer of this.#pending) clearTimeout(timer);
    this.#pending.clear();
  }
}

/** How serious a finding is. Only `error` makes `rollgate validate` exit 1. */
export type Severity = 'error' | 'warning' | 'info';

/** A text edit a quick fix applies: replace [start, end) with `text`. */
export interface TextEdit {
  start: number;
  end: number;
  text: string;
}

/**
 * A finding about user content. Offsets are UTF-16 code-unit offsets into the text that was
 * given to the core (the same unit as JavaScript string indices and `document.positionAt`).
 */
export interface Diagnostic {
  severity: Severity;
  /** Stable code, e.g. `schema/unknown-key` or `plan/traffic-decreases`. */
  code: string;
  message: string;
  start: number;
  end: number;
  /** Optional machine-applicable fix, e.g. the "did you mean" replacement. */
  fix?: { title: string; edits: TextEdit[] };
}

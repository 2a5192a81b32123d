/** The fenced-code languages that become executable cells. */
export const RUNNABLE_LANGUAGES = ['http', 'promql', 'rollout', 'check'] as const;
export type RunnableLanguage = (typeof RUNNABLE_LANGUAGES)[number];

/** A line ending exactly as it appears in the file. */
export type LineEnding = '\n' | '\r\n' | '\r';

/** What the front matter says about the runbook. */
export interface RunbookMetadata {
  /** `title` from the front matter, when it is a string. */
  title?: string;
  /** `plan`: path of the linked rollout plan, relative to the runbook. */
  plan?: string;
  /** `environment`, e.g. `staging` or `prod`. */
  environment?: string;
  /** Every front-matter key as parsed, including the three above. Empty without front matter. */
  frontMatter: Record<string, unknown>;
  /**
   * The exact leading bytes that belong to no cell: a byte-order mark, the front-matter block
   * (from the opening `---` through the closing line) and blank lines before the first cell.
   * Written back verbatim, so it is the source of truth for the front matter when present.
   * Leave it `undefined` for a runbook built in code: the serializer then writes front matter
   * from `title`, `plan`, `environment` and `frontMatter`.
   */
  preamble?: string;
  /** The first line ending of the file, used for text the serializer has to invent. */
  lineEnding?: LineEnding;
}

/**
 * Where a cell came from in the parsed file. The serializer writes `text` + `separator`
 * unchanged while the cell's kind, language, value and attributes still equal what was parsed,
 * which is what makes the round trip exact.
 */
export interface RunbookCellSource {
  /** Offset of the cell's first character in the parsed text (UTF-16 units). */
  start: number;
  /** Offset just past the cell's text, before its separator. */
  end: number;
  /** Exact original text of the cell, including the line ending of its last line if any. */
  text: string;
  /** Exact bytes between this cell and the next: blank lines (whitespace only). */
  separator: string;
  /** Kind, language, value and attributes (as JSON) as parsed, to detect edits. */
  kind: 'markdown' | 'code';
  language: string;
  value: string;
  attributesJson: string;
  /** Line ending of the cell's last line, '' when the cell ends the file without one. */
  finalLineEnding: LineEnding | '';
  /** For code cells: how the fence was written, reused when the cell is re-emitted. */
  fence?: RunbookFenceSource;
}

/** The shape of a runnable fence as written, so an edited cell keeps its style. */
export interface RunbookFenceSource {
  /** Leading spaces of the opening fence (0 to 3). */
  indent: string;
  /** The fence run, e.g. "```" or "~~~~". */
  markup: string;
  /** Everything on the opening line after the language word, without the line ending. */
  infoTail: string;
  /** Line ending of the opening line ('' if the file ends right after it). */
  openLineEnding: LineEnding | '';
  /** The closing fence line including its line ending, or '' for an unclosed fence. */
  closeLine: string;
}

/**
 * One notebook cell. Markdown cells have `language: 'markdown'` and empty `attributes`; code
 * cells have a runnable language and the JSON attributes that follow it on the fence line.
 */
export interface RunbookCell {
  kind: 'markdown' | 'code';
  language: string;
  /** The JSON object after the language word, e.g. `{"name":"status","effect":"mutate"}`. */
  attributes: Record<string, unknown>;
  /** Markdown: the cell's exact source text. Code: the fence body (without the last line ending). */
  value: string;
  /** Present for cells read from a file; absent for cells created in code or the editor. */
  source?: RunbookCellSource;
}

/** A runbook as plain data: what `serializeRunbook` writes. */
export interface RunbookData {
  metadata: RunbookMetadata;
  cells: RunbookCell[];
}

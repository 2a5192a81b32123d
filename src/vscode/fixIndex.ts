// Pure: no `vscode` import, so vitest can test it.

/** Line and character of a position, the shape both `vscode.Position` and the core's Position have. */
export interface LineCharacter {
  line: number;
  character: number;
}

/** What identifies a diagnostic across the extension-host boundary. */
export interface DiagnosticIdentity {
  range: { start: LineCharacter; end: LineCharacter };
  code?: string | number | { value: string | number } | undefined;
  message: string;
}

/**
 * Remembers the machine-applicable fix of each published diagnostic, per document. The
 * diagnostics a code action provider receives are copies made by VS Code, not the objects we
 * published, so a fix is found again by the diagnostic's range, code and message.
 */
export class FixIndex<Fix> {
  private readonly byDocument = new Map<string, Map<string, Fix>>();

  /** Replaces every fix remembered for a document. */
  set(documentKey: string, entries: ReadonlyArray<{ diagnostic: DiagnosticIdentity; fix: Fix }>): void {
    if (entries.length === 0) {
      this.byDocument.delete(documentKey);
      return;
    }
    this.byDocument.set(documentKey, new Map(entries.map(({ diagnostic, fix }) => [identityKey(diagnostic), fix])));
  }

  find(documentKey: string, diagnostic: DiagnosticIdentity): Fix | undefined {
    return this.byDocument.get(documentKey)?.get(identityKey(diagnostic));
  }

  delete(documentKey: string): void {
    this.byDocument.delete(documentKey);
  }

  clear(): void {
    this.byDocument.clear();
  }

  get documentCount(): number {
    return this.byDocument.size;
  }
}

function identityKey({ range, code, message }: DiagnosticIdentity): string {
  const codeValue = typeof code === 'object' && code !== null ? code.value : code;
  return `${range.start.line}:${range.start.character}-${range.end.line}:${range.end.character}|${String(codeValue ?? '')}|${message}`;
}

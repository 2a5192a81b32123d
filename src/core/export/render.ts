import { Document } from 'yaml';
import type { ExportedObject } from './rollout';

/** Multi-document YAML, each object under its comment, ready for `kubectl apply -f`. */
export function renderYaml(objects: readonly ExportedObject[]): string {
  return objects
    .map(({ object, comment }) => {
      const document = new Document(object, { aliasDuplicateObjects: false });
      if (comment)
        document.commentBefore = comment
          .split('\n')
          .map((line) => ` ${line}`)
          .join('\n');
      // Long PromQL stays on one line: folding would change nothing but make diffs noisy.
      return document.toString({ lineWidth: 0 });
    })
    .join('---\n');
}

/** A Kubernetes `List` (JSON has no comments; the CLI prints the notes on stderr). */
export function renderJson(objects: readonly ExportedObject[]): string {
  return `${JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects.map(({ object }) => object) }, null, 2)}\n`;
}

// What a cell will do, in words, before it runs: the editor's badge on a mutating cell. Decided
// from the text (and, when the session can resolve it, the target), never by sending anything.
import { parseHttpCell } from './http';
import { parseRolloutCell } from './rollout';
import { isMutating } from './session';
import { cellKindOf, type CellSpec, type TargetDescription } from './types';

/** A short phrase for a mutating cell ("changes traffic", "rolls back", "sends POST"); undefined for a read-only one. */
export function cellEffect(cell: CellSpec): string | undefined {
  if (!isMutating(cell)) return undefined;
  switch (cellKindOf(cell.language)) {
    case 'rollout': {
      const parsed = parseRolloutCell(cell.value);
      switch (parsed.value?.action) {
        case 'set-traffic':
          return 'changes traffic';
        case 'promote':
          return 'promotes (changes traffic)';
        case 'rollback':
          return 'rolls back (changes traffic)';
        case 'pause':
          return 'pauses the rollout';
        case 'resume':
          return 'resumes the rollout';
        default:
          return 'changes something';
      }
    }
    case 'http': {
      const parsed = parseHttpCell(cell.value);
      return parsed.value ? `sends ${parsed.value.method} (changes something)` : 'changes something';
    }
    default:
      return 'changes something';
  }
}

/** The badge text: the effect and, when known, the resolved target ("changes traffic: set churn-scorer …"). */
export function cellEffectBadge(effect: string, target: Pick<TargetDescription, 'target' | 'environment'> | undefined): string {
  const where = target ? `: ${target.target}${target.environment ? ` [${target.environment}]` : ''}` : '';
  const text = `${effect}${where}`;
  return text.length > 120 ? `${text.slice(0, 119)}…` : text;
}

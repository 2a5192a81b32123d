// The side panel's feature-flags section: the selected plan's flags, what the plan does with
// each, and its live state on the flag service. DOM only, built with textContent.
import type { PanelFlags } from '../core/panel/protocol';

export interface FlagsView {
  /** The section to place in the page; hidden while the plan has no flags. */
  element: HTMLElement;
  render(flags: PanelFlags | null | undefined): void;
}

function element<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** Builds the section once; `render` refreshes it in place. */
export function createFlagsView(): FlagsView {
  const section = element('section', 'flags hidden');
  section.setAttribute('aria-label', 'Feature flags');
  const heading = element('h2', undefined, 'Feature flags');
  const service = element('p', 'muted flags-service');
  const problem = element('p', 'problem');
  const list = element('ul', 'flag-list');
  section.append(heading, service, problem, list);

  return {
    element: section,
    render(flags) {
      section.classList.toggle('hidden', !flags || flags.flags.length === 0);
      if (!flags) return;
      const read = flags.readAt ? ` · read ${new Date(flags.readAt).toLocaleTimeString()}` : '';
      service.textContent = `${flags.service}${read}`;
      problem.textContent = flags.problem ?? '';
      problem.classList.toggle('hidden', !flags.problem);
      list.replaceChildren(
        ...flags.flags.map((flag) => {
          const item = element('li', `flag flag-${flag.live}`);
          item.dataset.flag = flag.name;
          const head = element('div', 'flag-head');
          head.append(element('span', 'flag-name', flag.name), element('span', `flag-live flag-live-${flag.live}`, flag.liveText));
          item.append(head, element('div', 'muted flag-plan', flag.planText));
          if (flag.problem) item.append(element('div', 'problem flag-problem', flag.problem));
          return item;
        }),
      );
    },
  };
}

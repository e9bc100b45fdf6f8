import { h } from './dom.js';

/** Where the live odds board goes once synced state channels exist (issue 4). */
export function oddsCard(): HTMLElement {
  return h('section', { class: 'card area-odds', 'data-testid': 'odds' },
    h('header', {}, h('h2', {}, 'Live odds board'), h('span', { class: 'badge', dataset: { tone: 'warn' } }, 'coming next')),
    h('div', { class: 'placeholder' },
      h('strong', {}, 'Needs synced state channels (issue 4).'),
      '20 markets ticking as diffs on one synced state channel; it will keep going through drops and say when it had to reset.'));
}

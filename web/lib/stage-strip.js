// A night's stage minutes as one proportional strip (colours in styles.css), named for screen readers.
import { h } from './dom.js';
import { formatMinutes, SLEEP_STAGES } from './measures.js';

/**
 * @param {{ components?: Record<string, number> | null }} night a sleep HealthObservation
 * @param {string} [className] `stage-strip` plus any modifier
 */
export function stageStrip(night, className = 'stage-strip') {
  const minutes = (/** @type {string} */ key) => night.components?.[key] ?? 0;
  const stages = SLEEP_STAGES.filter((s) => minutes(s.key) > 0);
  return h(
    'div',
    {
      class: className,
      role: 'img',
      'aria-label': stages.map((s) => `${s.name} ${formatMinutes(minutes(s.key))}`).join(', '),
    },
    stages.map((s) => h('span', { class: `stage-${s.key}`, style: `flex-grow: ${minutes(s.key)}` })),
  );
}

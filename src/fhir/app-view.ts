/**
 * The Observation as the existing PHR-App reads it (docs/mobile-app.md "What the app calls", row 11).
 * Only for the app's `/fhir/Observation` routes; the stored resource stays as written.
 *
 *   toAppView(obs) -> Observation with effectiveDateTime always set and code.coding[0].display = code.text,
 *                     without the sleep stage-sequence component (the app never had it)
 *
 * NOTE: the app reads only `effectiveDateTime` (a Period makes the item vanish from charts) and labels
 * by `code.coding[0].display` ("Oxygen saturation in Arterial blood" would open the Body Weight screen).
 * It also puts a space before every capital letter of the label (observations_history_screen.dart), so
 * labels with inner capitals ("VO2 max" -> "V O2 Max") get an app label without them (APP_LABELS).
 */
import type { Observation } from '@medplum/fhirtypes';
import { CODES } from './codes.ts';
import { isStageSequence } from './sleep-stages.ts';

/** code.text -> the label shown by the app, where the app would garble code.text. */
const APP_LABELS: Readonly<Record<string, string>> = {
  [CODES.hrv_rmssd.text]: 'Heart rate variability',
  [CODES.vo2_max.text]: 'Cardio fitness',
};

export function toAppView(obs: Observation): Observation {
  const view: Observation = { ...obs };
  if (view.effectiveDateTime === undefined && view.effectivePeriod?.start) {
    view.effectiveDateTime = view.effectivePeriod.start;
    delete view.effectivePeriod;
  }
  // The app predates the stage sequence of a night: it sees the sleep Observation as before.
  if (obs.component?.some(isStageSequence)) {
    const rest = obs.component.filter((c) => !isStageSequence(c));
    if (rest.length > 0) view.component = rest;
    else delete view.component;
  }
  const [first, ...rest] = obs.code.coding ?? [];
  if (first && obs.code.text) {
    const label = APP_LABELS[obs.code.text] ?? obs.code.text;
    view.code = { ...obs.code, coding: [{ ...first, display: label }, ...rest] };
  }
  return view;
}

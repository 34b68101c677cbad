/**
 * The Observation as the existing PHR-App reads it (clients/phr-app-contract.md §2 row 11, §2c, §8).
 * Only for the app's `/fhir/Observation` routes; the stored resource stays as written.
 *
 *   toAppView(obs) -> Observation with effectiveDateTime always set and code.coding[0].display = code.text
 *
 * NOTE: the app reads only `effectiveDateTime` (a Period makes the item vanish from charts) and labels
 * by `code.coding[0].display` ("Oxygen saturation in Arterial blood" would open the Body Weight screen).
 */
import type { Observation } from '@medplum/fhirtypes';

export function toAppView(obs: Observation): Observation {
  const view: Observation = { ...obs };
  if (view.effectiveDateTime === undefined && view.effectivePeriod?.start) {
    view.effectiveDateTime = view.effectivePeriod.start;
    delete view.effectivePeriod;
  }
  const [first, ...rest] = obs.code.coding ?? [];
  if (first && obs.code.text) {
    view.code = { ...obs.code, coding: [{ ...first, display: obs.code.text }, ...rest] };
  }
  return view;
}

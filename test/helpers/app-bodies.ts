/**
 * The FHIR bodies PHR-App POSTs, field for field (docs/mobile-app.md "What the app calls", "What it POSTs").
 * Times are `DateTime.toIso8601String()` of a local time: microseconds, no offset.
 */
import { randomUUID } from 'node:crypto';

export const APP_TYPES = {
  body_weight: { code: '29463-7', display: 'Body Weight', unit: 'kg', ucum: 'kg' },
  body_height: { code: '8302-2', display: 'Body Height', unit: 'cm', ucum: 'cm' },
  body_temperature: { code: '8310-5', display: 'Body Temperature', unit: '°C', ucum: 'Cel' },
  bp_systolic: { code: '8480-6', display: 'Blood Pressure - Systolic', unit: 'mmHg', ucum: 'mm[Hg]' },
  bp_diastolic: { code: '8462-4', display: 'Blood Pressure - Diastolic', unit: 'mmHg', ucum: 'mm[Hg]' },
  oxygen_saturation: { code: '59408-5', display: 'Oxygen Saturation', unit: '%', ucum: '%' },
  heart_rate: { code: '8867-4', display: 'Heart Rate', unit: 'bpm', ucum: '/min' },
  respiratory_rate: { code: '9279-1', display: 'Respiratory Rate', unit: 'breaths/min', ucum: '/min' },
  steps: { code: '55423-8', display: 'Steps', unit: 'steps', ucum: '1' },
  calories_burned: { code: '41670-5', display: 'Calories Burned', unit: 'kcal', ucum: 'kcal' },
} as const;

export type AppType = keyof typeof APP_TYPES;

/** '2026-07-04T09:30:00.123456': a Dart local DateTime's toIso8601String(). */
export function dartLocal(wall: string, micros = '123456'): string {
  return `${wall}.${micros}`;
}

/** `_createFhirObservation`: manual entry, heart-rate monitor, Health Connect upload. */
export function singleValue(
  type: AppType,
  value: number,
  patientId: string,
  effectiveDateTime: string,
  note?: string,
): Record<string, unknown> {
  const t = APP_TYPES[type];
  return {
    resourceType: 'Observation',
    status: 'final',
    category: [
      {
        coding: [
          {
            system: 'http://terminology.hl7.org/CodeSystem/observation-category',
            code: 'vital-signs',
            display: 'Vital Signs',
          },
        ],
      },
    ],
    code: { coding: [{ system: 'http://loinc.org', code: t.code, display: t.display }] },
    subject: { reference: `Patient/${patientId}` },
    effectiveDateTime,
    valueQuantity: { value, unit: t.unit, system: 'http://unitsofmeasure.org', code: t.ucum },
    ...(note === undefined ? {} : { note: [{ text: note }] }),
  };
}

/** What the Health Connect upload attaches to each point. */
export const HEALTH_CONNECT_NOTE = 'Synced from Health Connect';

/** `createBloodPressurePanelFhir`: a fresh client UUID each time, a source tag, two components. */
export function bloodPressurePanel(
  systolic: number,
  diastolic: number,
  patientId: string,
  effectiveDateTime: string,
  source: { code: string; display: string } = { code: 'manual', display: 'Manual Entry' },
): Record<string, unknown> {
  const component = (code: string, display: string, value: number) => ({
    code: { coding: [{ system: 'http://loinc.org', code, display }] },
    valueQuantity: { value, unit: 'mmHg', system: 'http://unitsofmeasure.org', code: 'mm[Hg]' },
  });
  return {
    resourceType: 'Observation',
    id: randomUUID(),
    meta: {
      tag: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationValue', ...source }],
    },
    status: 'final',
    category: [
      {
        coding: [
          {
            system: 'http://terminology.hl7.org/CodeSystem/observation-category',
            code: 'vital-signs',
            display: 'Vital Signs',
          },
        ],
      },
    ],
    code: {
      coding: [{ system: 'http://loinc.org', code: '35094-2', display: 'Blood Pressure Panel' }],
      text: 'Blood Pressure Panel',
    },
    subject: { reference: `Patient/${patientId}` },
    effectiveDateTime,
    component: [
      component('8480-6', 'Systolic blood pressure', systolic),
      component('8462-4', 'Diastolic blood pressure', diastolic),
    ],
  };
}

const SEVERITY = {
  mild: { code: '255604002', display: 'Mild' },
  moderate: { code: '6736007', display: 'Moderate' },
  severe: { code: '24484000', display: 'Severe' },
} as const;

export interface Symptom {
  text: string;
  code: string;
  severity: keyof typeof SEVERITY;
  recordedDate: string;
  note?: string;
}

/** `ConditionInput.toFhirConditionJson` (questionnaire); `requestId` = the idempotency identifier. */
export function questionnaireCondition(
  patientId: string,
  s: Symptom,
  requestId?: string,
): Record<string, unknown> {
  return {
    resourceType: 'Condition',
    ...(requestId === undefined
      ? {}
      : { identifier: [{ system: 'urn:app:condition-request', value: requestId }] }),
    clinicalStatus: {
      coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }],
      text: 'Active',
    },
    verificationStatus: {
      coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-ver-status', code: 'unconfirmed' }],
    },
    category: [
      {
        coding: [{ system: 'http://hl7.org/fhir/condition-category', code: 'problem-list-item' }],
        text: 'Problem List Item',
      },
    ],
    code: { coding: [{ system: 'http://snomed.info/sct', code: s.code, display: s.text }], text: s.text },
    subject: { reference: `Patient/${patientId}` },
    recordedDate: s.recordedDate,
    severity: { coding: [{ system: 'http://snomed.info/sct', ...SEVERITY[s.severity] }] },
    ...(s.note === undefined ? {} : { note: [{ text: s.note }] }),
  };
}

/** The simulation's transaction Bundle, POSTed to /fhir/Condition. */
export function conditionBundle(patientId: string, symptoms: Symptom[]): Record<string, unknown> {
  return {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: symptoms.map((s, i) => {
      const {
        identifier: _i,
        note: _n,
        ...resource
      } = questionnaireCondition(patientId, s) as Record<string, unknown>;
      return {
        fullUrl: `urn:uuid:condition-q${i + 1}`,
        resource,
        request: { method: 'POST', url: 'Condition' },
      };
    }),
  };
}

/** `ConditionModel.toFhirJson` (offline queue): no identifier; onset and recorded date. */
export function offlineCondition(patientId: string, text: string, at: string): Record<string, unknown> {
  return {
    resourceType: 'Condition',
    clinicalStatus: {
      coding: [
        {
          system: 'http://terminology.hl7.org/CodeSystem/condition-clinical',
          code: 'active',
          display: 'Active',
        },
      ],
    },
    category: [
      {
        coding: [
          {
            system: 'http://terminology.hl7.org/CodeSystem/condition-category',
            code: 'problem-list-item',
            display: 'Problem List Item',
          },
        ],
      },
    ],
    severity: { coding: [{ system: 'http://snomed.info/sct', ...SEVERITY.moderate }] },
    code: { text },
    subject: { reference: `Patient/${patientId}` },
    onsetDateTime: at,
    recordedDate: at,
  };
}

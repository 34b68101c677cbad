/** Test data for the FHIR store: hand-built Observations with exact effective[x], and the caller's Patient id. */
import type { Observation } from '@medplum/fhirtypes';
import type { FastifyInstance } from 'fastify';
import { LOINC, OBSERVATION_IDENTIFIER_SYSTEM, VENDOR_TAG_SYSTEM } from '../../../src/fhir/codes.ts';
import { observationId } from '../../../src/fhir/ids.ts';

export async function patientIdOf(app: FastifyInstance, auth: { authorization: string }): Promise<string> {
  const res = await app.inject({ url: '/auth/me', headers: auth });
  return (res.json() as { fhir_patient_id: string }).fhir_patient_id;
}

const CODES = {
  steps: {
    system: LOINC,
    code: '41950-7',
    display: 'Number of steps in 24 hour Measured',
    category: 'activity',
  },
  heart_rate: { system: LOINC, code: '8867-4', display: 'Heart rate', category: 'vital-signs' },
  body_weight: { system: LOINC, code: '29463-7', display: 'Body weight', category: 'vital-signs' },
} as const;

export interface ObsInput {
  key: string;
  type?: keyof typeof CODES;
  value?: number;
  effectiveDateTime?: string;
  effectivePeriod?: { start?: string; end?: string };
  /** utc-offset extension for a date-only value. */
  offset?: string;
}

/** A valid Observation; the identifier value has no '|' (see the replication test for why). */
export function makeObservation(patientId: string, input: ObsInput): Observation {
  const c = CODES[input.type ?? 'heart_rate'];
  const identifier = { system: OBSERVATION_IDENTIFIER_SYSTEM, value: `${patientId}:test:${input.key}` };
  return {
    resourceType: 'Observation',
    id: observationId(identifier),
    meta: { tag: [{ system: VENDOR_TAG_SYSTEM, code: 'fitbit' }] },
    ...(input.offset
      ? {
          extension: [
            { url: 'https://phr.example/fhir/StructureDefinition/utc-offset', valueString: input.offset },
          ],
        }
      : {}),
    identifier: [identifier],
    status: 'final',
    category: [
      {
        coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: c.category }],
      },
    ],
    code: { coding: [{ system: c.system, code: c.code, display: c.display }], text: c.display },
    subject: { reference: `Patient/${patientId}` },
    ...(input.effectiveDateTime ? { effectiveDateTime: input.effectiveDateTime } : {}),
    ...(input.effectivePeriod ? { effectivePeriod: input.effectivePeriod } : {}),
    valueQuantity: {
      value: input.value ?? 60,
      unit: 'beats/minute',
      system: 'http://unitsofmeasure.org',
      code: '/min',
    },
  };
}

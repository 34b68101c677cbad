// Rule table: what each code must carry, written out independently of src/fhir/codes.ts so a
// change there has to be made twice (here deliberately) to pass. Checks what @medplum/core does not:
// code -> UCUM unit, UCUM system, category (docs/fhir.md "Validation").
import type { Observation } from '@medplum/fhirtypes';
import { describe, expect, test } from 'vitest';
import {
  CANONICAL_UNIT,
  CODES,
  MEASUREMENT_TYPES,
  type Measurement,
  type MeasurementType,
  toHealthObservation,
  toObservation,
  typeForCode,
} from '../../src/fhir/index.ts';
import { assertValid } from '../helpers/validate-fhir.ts';

const L = 'http://loinc.org';
const P = 'https://phr.example/fhir/CodeSystem/phr-observation';
const RULES: Record<
  MeasurementType,
  [system: string, code: string, ucum: string, category: string, daily: boolean]
> = {
  heart_rate: [L, '8867-4', '/min', 'vital-signs', false],
  resting_heart_rate: [L, '40443-4', '/min', 'vital-signs', true],
  spo2: [L, '2708-6', '%', 'vital-signs', true],
  body_weight: [L, '29463-7', 'kg', 'vital-signs', false],
  steps: [L, '41950-7', '/d', 'activity', true],
  calories: [L, '41979-6', 'kcal/d', 'activity', true],
  distance: [L, '41953-1', 'm', 'activity', true],
  hrv_rmssd: [P, 'hrv-rmssd', 'ms', 'vital-signs', true],
  respiratory_rate: [L, '9279-1', '/min', 'vital-signs', true],
  sleep: [L, '93832-4', 'min', 'activity', false],
  body_fat: [L, '41982-0', '%', 'vital-signs', false],
  skin_temperature_deviation: [P, 'skin-temperature-deviation', 'Cel', 'vital-signs', true],
  vo2_max: [P, 'vo2-max', 'mL/kg/min', 'activity', true],
  blood_pressure: [L, '85354-9', 'mm[Hg]', 'vital-signs', false],
  body_temperature: [L, '8310-5', 'Cel', 'vital-signs', false],
  skin_temperature: [L, '39106-0', 'Cel', 'vital-signs', false],
  fat_mass: [L, '73708-0', 'kg', 'exam', false],
  fat_free_mass: [L, '91557-9', 'kg', 'exam', false],
  muscle_mass: [L, '73964-9', 'kg', 'exam', false],
  bone_mass: [P, 'bone-mass', 'kg', 'exam', false],
  height: [L, '8302-2', 'cm', 'vital-signs', false],
  hrv_sdnn: [L, '80404-7', 'ms', 'vital-signs', false],
  blood_glucose: [L, '2339-0', 'mg/dL', 'laboratory', false],
};
// Candidate LOINC codes (not verified) travel with a project coding, so nothing is lost if one is wrong.
const PROJECT_CODING: Partial<Record<MeasurementType, string>> = {
  skin_temperature: 'skin-temperature',
  fat_mass: 'fat-mass',
  fat_free_mass: 'fat-free-mass',
  muscle_mass: 'muscle-mass',
};
// R4 vital-sign child profiles fix these units (hl7.org/fhir/R4/observation-vitalsigns.html).
const PROFILE_UNITS: Record<string, string[]> = {
  'http://hl7.org/fhir/StructureDefinition/heartrate': ['/min'],
  'http://hl7.org/fhir/StructureDefinition/oxygensat': ['%'],
  'http://hl7.org/fhir/StructureDefinition/bodyweight': ['kg', 'g', '[lb_av]'],
  'http://hl7.org/fhir/StructureDefinition/resprate': ['/min'],
  'http://hl7.org/fhir/StructureDefinition/bodytemp': ['Cel', '[degF]'],
  'http://hl7.org/fhir/StructureDefinition/bodyheight': ['cm', '[in_i]'],
  'http://hl7.org/fhir/StructureDefinition/bp': ['mm[Hg]'],
};

function sampleMeasurement(type: MeasurementType): Measurement {
  const daily = RULES[type][4];
  return {
    type,
    value: 42,
    unit: CANONICAL_UNIT[type],
    start: daily ? '2026-10-05T00:00:00-04:00' : '2026-10-05T07:00:00-04:00',
    end: daily ? '2026-10-06T00:00:00-04:00' : '2026-10-05T07:00:00-04:00',
    utcOffset: '-04:00',
    localDate: '2026-10-05',
    source: { vendor: 'fitbit', deviceName: 'Charge 6' },
    vendorKey: `${type}|2026-10-05`,
    daily,
    ...(type === 'blood_pressure' ? { components: { systolic: 42, diastolic: 30 } } : {}),
  };
}

/** The Observation's one quantity: valueQuantity, or a panel's systolic component. */
function quantityOf(obs: Observation) {
  return (
    obs.valueQuantity ?? obs.component?.find((c) => c.code.coding?.[0]?.code === '8480-6')?.valueQuantity
  );
}

describe('code table', () => {
  test('covers every measurement type exactly', () => {
    expect(Object.keys(CODES).sort()).toEqual([...MEASUREMENT_TYPES].sort());
  });

  for (const type of MEASUREMENT_TYPES) {
    test(`${type}: code, UCUM unit, category and reverse lookup`, () => {
      const [system, code, ucum, category, daily] = RULES[type];
      const obs = toObservation(sampleMeasurement(type), {
        patientId: 'p-rules',
        now: new Date('2026-12-01T00:00:00Z'),
        sourceUri: 'urn:test',
      });
      assertValid(obs);
      expect(obs.code.coding?.[0]).toMatchObject({ system, code });
      expect(typeof obs.code.coding?.[0]?.display).toBe('string');
      expect(quantityOf(obs)).toMatchObject({ system: 'http://unitsofmeasure.org', code: ucum, value: 42 });
      expect(quantityOf(obs)?.unit).toBeTruthy();
      expect(obs.category?.[0]?.coding?.[0]).toMatchObject({
        system: 'http://terminology.hl7.org/CodeSystem/observation-category',
        code: category,
      });
      expect(CODES[type].daily).toBe(daily);
      expect(typeForCode(system, code)).toBe(type);
      for (const profile of obs.meta?.profile ?? []) {
        const allowed = PROFILE_UNITS[profile];
        if (allowed) expect(allowed).toContain(ucum);
      }
      expect(toHealthObservation(obs)?.unit).toBe(CANONICAL_UNIT[type]);
      const project = PROJECT_CODING[type];
      if (project) {
        expect(obs.code.coding?.[1]).toMatchObject({ system: P, code: project });
        expect(typeForCode(P, project)).toBe(type);
      }
    });
  }

  test('blood pressure: the R4 bp shape, no top-level value, systolic and diastolic components', () => {
    const obs = toObservation(
      { ...sampleMeasurement('blood_pressure'), value: 128, components: { systolic: 128, diastolic: 82 } },
      { patientId: 'p-rules', now: new Date('2026-12-01T00:00:00Z'), sourceUri: 'urn:test' },
    );
    expect(obs.valueQuantity).toBeUndefined();
    expect(
      obs.component?.map((c) => [c.code.coding?.[0]?.code, c.valueQuantity?.value, c.valueQuantity?.code]),
    ).toEqual([
      ['8480-6', 128, 'mm[Hg]'],
      ['8462-4', 82, 'mm[Hg]'],
    ]);
    expect(toHealthObservation(obs)).toMatchObject({
      value: 128,
      components: { systolic: 128, diastolic: 82 },
    });
    // The validator's bp profile (re-sliced in the helper) still refuses a panel that breaks it.
    assertValid(obs);
    expect(() => assertValid({ ...obs, component: obs.component?.slice(0, 1) })).toThrow(/DiastolicBP/);
    expect(() => assertValid({ ...obs, valueQuantity: obs.component?.[0]?.valueQuantity })).toThrow(
      /valueQuantity/,
    );
    const m = sampleMeasurement('blood_pressure');
    const ctx = { patientId: 'p', now: new Date(), sourceUri: 'urn:test' };
    expect(() => toObservation({ ...m, components: { systolic: 42 } }, ctx)).toThrow(/diastolic/);
    expect(() => toObservation({ ...m, value: 41 }, ctx)).toThrow(/systolic/);
  });

  test('skin temperature (absolute) and the deviation from baseline never share a code', () => {
    const codes = (t: MeasurementType) => CODES[t].coding.map((c) => `${c.system}|${c.code}`);
    expect(codes('skin_temperature').filter((c) => codes('skin_temperature_deviation').includes(c))).toEqual(
      [],
    );
  });

  test('SpO2 carries both 2708-6 (R4 oxygensat) and 59408-5 (US Core pulse oximetry)', () => {
    expect(CODES.spo2.coding.map((c) => c.code)).toEqual(['2708-6', '59408-5']);
  });

  test('resting heart rate is not also coded 8867-4 (it would pollute heart-rate searches)', () => {
    expect(CODES.resting_heart_rate.coding.map((c) => c.code)).not.toContain('8867-4');
  });

  test('HRV is not labelled with the SDNN code 80404-7', () => {
    expect(CODES.hrv_rmssd.coding.map((c) => c.code)).not.toContain('80404-7');
  });
});

/**
 * Examples of the FHIR answers and bodies, for the OpenAPI document only.
 *
 *   fhirResource(example) -> the routes' loose resource schema, with that example
 */
import Type from 'typebox';

const observation = {
  resourceType: 'Observation',
  id: 'o-1f2e3d4c5b6a',
  meta: { versionId: '1', lastUpdated: '2026-11-02T08:15:04.000Z' },
  status: 'final',
  category: [
    {
      coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'activity' }],
    },
  ],
  code: { coding: [{ system: 'http://loinc.org', code: '55423-8', display: 'Number of steps' }] },
  subject: { reference: 'Patient/p-8d3f0c2a-7b1e-4f6a-9c5d-2e4b6a8c0d1f' },
  effectivePeriod: { start: '2026-11-01T00:00:00+01:00', end: '2026-11-02T00:00:00+01:00' },
  valueQuantity: { value: 8042, unit: 'steps', system: 'http://unitsofmeasure.org', code: '{steps}' },
};

const condition = {
  resourceType: 'Condition',
  id: 'c-6a5b4c3d2e1f',
  clinicalStatus: {
    coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }],
  },
  code: { text: 'Headache' },
  subject: { reference: 'Patient/p-8d3f0c2a-7b1e-4f6a-9c5d-2e4b6a8c0d1f' },
  recordedDate: '2026-11-02T08:00:00+01:00',
};

const searchset = (resource: object) => ({
  resourceType: 'Bundle',
  type: 'searchset',
  link: [{ relation: 'self', url: 'https://phr.example.com/fhir/Observation?code=55423-8&_count=50' }],
  entry: [{ fullUrl: 'https://phr.example.com/fhir/x', resource }],
});

export const FHIR_EXAMPLES = {
  capabilityStatement: {
    resourceType: 'CapabilityStatement',
    status: 'active',
    kind: 'instance',
    fhirVersion: '4.0.1',
    format: ['application/fhir+json', 'application/json'],
    rest: [{ mode: 'server', resource: [{ type: 'Observation', interaction: [{ code: 'read' }] }] }],
  },
  patient: {
    resourceType: 'Patient',
    id: 'p-8d3f0c2a-7b1e-4f6a-9c5d-2e4b6a8c0d1f',
    name: [{ text: 'Ada' }],
  },
  device: {
    resourceType: 'Device',
    id: 'd-2b3c4d5e6f70',
    deviceName: [{ name: 'Pixel Watch 3', type: 'model-name' }],
  },
  observation,
  observationBody: { ...observation, id: undefined, meta: undefined },
  observationSearch: searchset(observation),
  condition,
  conditionBody: { ...condition, id: undefined },
  conditionSearch: searchset(condition),
};

/** A FHIR R4 resource: the routes check the resource in the service, not in the schema. */
export function fhirResource(example: object, description = 'A FHIR R4 resource') {
  return Type.Object(
    { resourceType: Type.String() },
    { additionalProperties: true, description, examples: [JSON.parse(JSON.stringify(example))] },
  );
}

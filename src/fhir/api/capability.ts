/** The CapabilityStatement served at `[base]/metadata`: exactly what the routes in this folder support. */
import type { CapabilityStatement } from '@medplum/fhirtypes';

const DATE_DOC =
  'Prefixes eq ne gt lt ge le sa eb ap; the value is a range by its precision (R4 search.html)';

export function capabilityStatement(baseUrl: string, date: string): CapabilityStatement {
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date,
    kind: 'instance',
    software: { name: 'PHR Backend', version: '0.1.0' },
    implementation: { description: 'Personal health record: the caller’s own data', url: baseUrl },
    fhirVersion: '4.0.1',
    format: ['application/fhir+json', 'json'],
    rest: [
      {
        mode: 'server',
        security: {
          description: 'Bearer access token (POST /auth/login); every resource is the caller’s own',
        },
        resource: [
          { type: 'Patient', interaction: [{ code: 'read' }], versioning: 'versioned' },
          { type: 'Device', interaction: [{ code: 'read' }], versioning: 'versioned' },
          {
            type: 'Observation',
            interaction: [{ code: 'read' }, { code: 'search-type' }, { code: 'create' }],
            versioning: 'versioned',
            searchParam: [
              { name: 'patient', type: 'reference', documentation: 'The caller’s Patient only' },
              { name: 'subject', type: 'reference', documentation: 'The caller’s Patient only' },
              { name: 'code', type: 'token', documentation: 'system|code or code; comma = OR' },
              { name: 'category', type: 'token' },
              { name: 'status', type: 'token' },
              { name: 'identifier', type: 'token', documentation: 'system|value' },
              { name: 'date', type: 'date', documentation: DATE_DOC },
              { name: '_id', type: 'token' },
              { name: '_lastUpdated', type: 'date', documentation: DATE_DOC },
              { name: '_count', type: 'number', documentation: 'Page size, default 50, clamped to 500' },
              {
                name: '_sort',
                type: 'string',
                documentation: 'date, -date (default), _lastUpdated, -_lastUpdated',
              },
              { name: '_summary', type: 'token', documentation: 'count' },
              { name: '_total', type: 'token', documentation: 'none (default), estimate, accurate' },
            ],
          },
          {
            type: 'Condition',
            documentation: 'User-written (symptoms); POST takes a Condition or a transaction Bundle of them',
            interaction: [{ code: 'read' }, { code: 'search-type' }, { code: 'create' }],
            versioning: 'versioned',
            searchParam: [
              { name: 'patient', type: 'reference', documentation: 'The caller’s Patient only' },
              { name: 'subject', type: 'reference', documentation: 'The caller’s Patient only' },
              { name: '_id', type: 'token' },
              { name: '_count', type: 'number', documentation: 'Page size, default 50, clamped to 500' },
              {
                name: '_sort',
                type: 'string',
                documentation: '-recorded-date (default), recorded-date, _lastUpdated, -_lastUpdated',
              },
              { name: '_total', type: 'token', documentation: 'none (default), estimate, accurate' },
            ],
          },
        ],
      },
    ],
  };
}

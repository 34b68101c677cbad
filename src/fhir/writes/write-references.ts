/**
 * References in what a user writes (pure): every one must name the caller's own data.
 *
 *   storeReferencesOf(resource, patientId, root) -> the `Type/id` references to look up in the store
 *                                                   (the caller must own each), or a 422 naming every
 *                                                   refused element ('Observation.hasMember[0]')
 *   assertOwned(refs, found)                     -> a 422 naming each reference the caller does not own
 *
 * Every Reference in the resource is checked, wherever it sits (subject, focus, performer,
 * hasMember, derivedFrom, partOf, specimen, device, encounter, evidence.detail, asserter, recorder,
 * extensions, contained resources):
 * - `#id` (a contained resource) is accepted when the resource contains it;
 * - `Patient/<id>` only for the caller's Patient;
 * - `Observation|Condition|Device/<id>` (optionally `/_history/<v>`) only when the store holds that
 *   resource for the caller; someone else's and a missing one get the same answer;
 * - any other type, absolute URLs and `urn:` are refused: we store no such resources, so whose they
 *   are cannot be checked, and the replicated copy would resolve against whatever the external
 *   FHIR server holds under that id (possibly another person's record);
 * - a logical reference (`identifier`) in our own namespace is refused: those identifiers name
 *   people's data; others (a practitioner's licence number) and `display` alone are kept.
 */
import { AppError, type FieldError } from '../../errors.ts';
import { PHR_FHIR_BASE } from '../codes.ts';

export type OwnedType = 'Observation' | 'Condition' | 'Device';

export interface StoreReference {
  /** The element, as FHIRPath: `Observation.hasMember[0]`. */
  path: string;
  type: OwnedType;
  id: string;
}

const OWNED_TYPES = new Set<string>(['Observation', 'Condition', 'Device']);
const RELATIVE = /^([A-Z][A-Za-z]{0,63})\/([A-Za-z0-9\-.]{1,64})(\/_history\/[A-Za-z0-9\-.]{1,64})?$/;

export function storeReferencesOf(resource: object, patientId: string, root: string): StoreReference[] {
  const refs: StoreReference[] = [];
  const errors: FieldError[] = [];
  const containedIds = new Set(
    ((resource as { contained?: { id?: unknown }[] }).contained ?? [])
      .map((c) => c?.id)
      .filter((id): id is string => typeof id === 'string'),
  );

  const visit = (value: unknown, path: string): void => {
    if (Array.isArray(value)) {
      for (const [i, item] of value.entries()) visit(item, `${path}[${i}]`);
      return;
    }
    if (value === null || typeof value !== 'object') return;
    const element = value as Record<string, unknown>;
    if (typeof element.reference === 'string') {
      const problem = checkLiteral(element.reference, path);
      if (problem) errors.push(problem);
    }
    const logical = element.identifier as { system?: unknown } | undefined;
    if (isReferenceShaped(element) && typeof logical?.system === 'string' && ownNamespace(logical.system)) {
      errors.push({ field: `${path}.identifier`, message: 'must not use a server identifier system' });
    }
    for (const [key, child] of Object.entries(element)) {
      if (key !== 'reference') visit(child, `${path}.${key}`);
    }
  };

  const checkLiteral = (reference: string, path: string): FieldError | undefined => {
    if (reference.startsWith('#')) {
      const id = reference.slice(1);
      return id === '' || containedIds.has(id)
        ? undefined
        : { field: path, message: `names no contained resource (${reference})` };
    }
    const match = RELATIVE.exec(reference);
    if (!match) {
      return {
        field: path,
        message: 'must be a relative reference to your own data (Type/id) or a contained one (#id)',
      };
    }
    const [, type = '', id = ''] = match;
    if (type === 'Patient') {
      return id === patientId
        ? undefined
        : { field: path, message: `must be your own Patient (Patient/${patientId})` };
    }
    if (!OWNED_TYPES.has(type)) {
      return {
        field: path,
        message: `must reference an Observation, Condition or Device of yours (not ${type})`,
      };
    }
    refs.push({ path, type: type as OwnedType, id });
    return undefined;
  };

  visit(resource, root);
  if (errors.length > 0) throw refused(errors);
  return refs;
}

/** `found`: the ids, per type, that the store holds for the caller. */
export function assertOwned(
  refs: readonly StoreReference[],
  found: ReadonlyMap<OwnedType, Set<string>>,
): void {
  const errors = refs
    .filter((r) => !found.get(r.type)?.has(r.id))
    .map((r) => ({
      field: r.path,
      message: `must reference a resource of yours (${r.type}/${r.id} is not one)`,
    }));
  if (errors.length > 0) throw refused(errors);
}

function refused(errors: FieldError[]): AppError {
  const detail = errors.map((e) => `${e.field} ${e.message}`).join('; ');
  return new AppError('UNPROCESSABLE', `References must name your own data: ${detail}`, { errors });
}

function isReferenceShaped(element: Record<string, unknown>): boolean {
  const identifier = element.identifier;
  return typeof identifier === 'object' && identifier !== null && !Array.isArray(identifier);
}

function ownNamespace(system: string): boolean {
  return system === PHR_FHIR_BASE || system.startsWith(`${PHR_FHIR_BASE}/`);
}

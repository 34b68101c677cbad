/**
 * Checks shared by every user-written resource (pure).
 *
 *   asResourceOf(body, 'Observation', path?)   -> a deep copy, or a 400 naming resourceType (or the
 *                                                 body, when nested deeper than any FHIR resource)
 *   bindSubject(resource, type, patientId)     -> subject = the caller's Patient (set when missing;
 *                                                 another subject: 422, never stored)
 */
import type { Reference } from '@medplum/fhirtypes';
import { AppError, invalidField } from '../../errors.ts';

export interface WriteContext {
  /** The caller's Patient id. */
  patientId: string;
  /** Zone for date-times sent without an offset. */
  zone: string;
}

/** Far deeper than FHIR nests (contained, extensions); deeper bodies would exhaust the stack. */
const MAX_DEPTH = 64;

export function asResourceOf<T extends { resourceType: string }>(
  body: unknown,
  type: T['resourceType'],
  path?: string,
): T {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw invalidField(path ?? 'body', `must be a FHIR ${type} (JSON object)`);
  }
  const resourceType = (body as { resourceType?: unknown }).resourceType;
  if (resourceType !== type)
    throw invalidField(path ? `${path}.resourceType` : 'resourceType', `must be '${type}'`);
  if (depthExceeds(body, MAX_DEPTH)) {
    throw invalidField(path ?? 'body', `is nested deeper than ${MAX_DEPTH} levels`);
  }
  return structuredClone(body) as T;
}

/** Walks without recursion, so the check itself cannot run out of stack. */
function depthExceeds(root: object, max: number): boolean {
  const pending: [unknown, number][] = [[root, 1]];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [value, depth] = next;
    if (value === null || typeof value !== 'object') continue;
    if (depth > max) return true;
    for (const child of Object.values(value)) pending.push([child, depth + 1]);
  }
  return false;
}

/**
 * `Patient/<id>`, a bare `<id>` or an absolute `…/Patient/<id>` of the caller all become
 * `Patient/<id>`. Anything else is a 422: the resource is about someone else.
 */
export function bindSubject(
  resource: { subject?: Reference },
  type: string,
  patientId: string,
  path = `${type}.subject`,
): void {
  const own = `Patient/${patientId}`;
  const subject = resource.subject;
  if (subject === undefined) {
    resource.subject = { reference: own };
    return;
  }
  const ref = subject.reference;
  if (typeof ref === 'string' && (ref === own || ref === patientId || ref.endsWith(`/${own}`))) {
    resource.subject = { ...subject, reference: own };
    return;
  }
  throw new AppError('UNPROCESSABLE', `${path} must be the caller’s own Patient (${own})`, {
    errors: [{ field: path, message: `must be ${own}` }],
  });
}

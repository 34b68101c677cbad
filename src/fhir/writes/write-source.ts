/**
 * Where a user-written Observation came from, as the `source.vendor` the health API reports
 * (pure; the value also goes into `meta.tag` with VENDOR_TAG_SYSTEM and into the identifier).
 *
 *   writeSourceOf(obs) -> 'manual' | 'health_connect' | 'health_kit' | 'simulation'
 *
 * What the PHR app marks (docs/mobile-app.md "What the app calls", "What it POSTs"; App:lib/domain/entities/observation_entity.dart
 * `DataSource`): a blood-pressure panel carries `meta.tag` {system v3-ObservationValue, code
 * manual | health_connect | health_kit | simulation | wearable | vendor}; a single value carries no
 * meta, and the Health Connect upload writes `note[0].text` "Synced from Health Connect". Anything
 * unmarked was typed in by the person: `manual`. A client cannot claim a vendor (`fitbit`): vendor
 * data only comes from the sync engine.
 *
 *   serverProvenance(meta, source) -> meta whose `source` and vendor tag are the server's
 *
 * Synced data carries meta.source `https://health.googleapis.com/v4/...` and the vendor tag; a
 * user write always gets `${WRITE_SOURCE_URI}/<source>` and its own tag, whatever the client sent,
 * and loses any tag in our namespace, so it never looks synced.
 */
import type { Coding, Meta, Observation } from '@medplum/fhirtypes';
import { PHR_FHIR_BASE, VENDOR_TAG_SYSTEM } from '../codes.ts';

export const WRITE_SOURCES = ['manual', 'health_connect', 'health_kit', 'simulation'] as const;
export type WriteSource = (typeof WRITE_SOURCES)[number];

/** meta.source of user-written data: `${WRITE_SOURCE_URI}/<source>`. */
const WRITE_SOURCE_URI = `${PHR_FHIR_BASE}/source`;

/** The code system the app's BP panel uses for its source tag. */
const APP_SOURCE_TAG_SYSTEM = 'http://terminology.hl7.org/CodeSystem/v3-ObservationValue';

const BY_APP_CODE: Readonly<Record<string, WriteSource>> = {
  manual: 'manual',
  health_connect: 'health_connect',
  health_kit: 'health_kit',
  simulation: 'simulation',
};

const NOTE_MARKERS: readonly [RegExp, WriteSource][] = [
  [/\bsynced from health ?connect\b/i, 'health_connect'],
  [/\bsynced from health ?kit\b/i, 'health_kit'],
];

export function writeSourceOf(obs: Observation): WriteSource {
  for (const tag of obs.meta?.tag ?? []) {
    if (tag.system === APP_SOURCE_TAG_SYSTEM && tag.code) return BY_APP_CODE[tag.code] ?? 'manual';
  }
  for (const note of obs.note ?? []) {
    for (const [marker, source] of NOTE_MARKERS) if (note.text && marker.test(note.text)) return source;
  }
  return 'manual';
}

/** The client's meta without server fields (versionId, lastUpdated, source, our tags), then ours. */
export function serverProvenance(meta: Meta | undefined, source: WriteSource): Meta {
  const { versionId: _v, lastUpdated: _l, source: _s, ...rest } = meta ?? {};
  const tags: Coding[] = (rest.tag ?? []).filter((t) => !inServerNamespace(t.system));
  return {
    ...rest,
    source: `${WRITE_SOURCE_URI}/${source}`,
    tag: [...tags, { system: VENDOR_TAG_SYSTEM, code: source }],
  };
}

/** Systems the server alone assigns (identifiers, the vendor tag, code systems). */
export function inServerNamespace(system: string | undefined): boolean {
  return system !== undefined && (system === PHR_FHIR_BASE || system.startsWith(`${PHR_FHIR_BASE}/`));
}

/**
 * Deterministic identifiers and ids, so a re-sync of the same vendor record updates the same
 * resource (conditional update on `identifier`, or a plain upsert on `id`).
 *
 *   observationIdentifier(patientId, vendor, vendorKey) -> { system, value: 'patientId:vendor:vendorKey' }
 *   observationId(identifier)                            -> UUIDv5 of 'system|value'
 *   deviceKey(source)                                    -> the vendor's device id, else its name, else undefined
 *   deviceIdentifier(patientId, vendor, key) / deviceId(identifier)
 *   uuidV5(name)                                         -> RFC 9562 v5 UUID in the project namespace
 *
 * The patient is part of the key: vendor keys of daily totals ('steps|2026-08-29') repeat across users.
 * The value holds no '|': FHIR token search splits `identifier=system|value` on it, and servers
 * differ in honouring the `\|` escape (Medplum 5.2 does not), so conditional updates at an
 * external server would miss and duplicate. Parts are joined with ':' instead.
 * A UUID is a valid FHIR id ([A-Za-z0-9\-\.]{1,64}) and leaks nothing of the key.
 */
import { hash } from 'node:crypto';
import type { Identifier } from '@medplum/fhirtypes';
import { DEVICE_IDENTIFIER_SYSTEM, OBSERVATION_IDENTIFIER_SYSTEM, PHR_FHIR_BASE } from './codes.ts';
import type { MeasurementSource } from './measurement.ts';

/** RFC 9562 URL namespace, used once to derive the project namespace from PHR_FHIR_BASE. */
const URL_NAMESPACE = '6ba7b811-9dad-11d1-80b4-00c04fd430c8';
const PROJECT_NAMESPACE = namespaceBytes(uuidV5In(namespaceBytes(URL_NAMESPACE), PHR_FHIR_BASE));

export function uuidV5(name: string): string {
  return uuidV5In(PROJECT_NAMESPACE, name);
}

export function observationIdentifier(
  patientId: string,
  vendor: string,
  vendorKey: string,
): Required<Pick<Identifier, 'system' | 'value'>> {
  return { system: OBSERVATION_IDENTIFIER_SYSTEM, value: identifierValue(patientId, vendor, vendorKey) };
}

export function observationId(identifier: { system: string; value: string }): string {
  return uuidV5(`Observation|${identifier.system}|${identifier.value}`);
}

/** What identifies a physical device at the vendor: its id when given, else its display name. */
export function deviceKey(source: MeasurementSource): string | undefined {
  return source.deviceId ?? source.deviceName;
}

export function deviceIdentifier(
  patientId: string,
  vendor: string,
  key: string,
): Required<Pick<Identifier, 'system' | 'value'>> {
  return { system: DEVICE_IDENTIFIER_SYSTEM, value: identifierValue(patientId, vendor, key) };
}

// Every Observation references its device: a person has a handful, so remember their ids.
const deviceIds = new Map<string, string>();

export function deviceId(identifier: { system: string; value: string }): string {
  const name = `Device|${identifier.system}|${identifier.value}`;
  let id = deviceIds.get(name);
  if (id === undefined) {
    id = uuidV5(name);
    if (deviceIds.size >= 1_000) deviceIds.clear();
    deviceIds.set(name, id);
  }
  return id;
}

function identifierValue(patientId: string, vendor: string, key: string): string {
  return [patientId, vendor, key].join(':').replaceAll('|', ':');
}

function namespaceBytes(uuid: string): Buffer {
  return Buffer.from(uuid.replaceAll('-', ''), 'hex');
}

// NOTE: two per Observation written; the one-shot hash() of namespace + name is cheaper than
// createHash().update().update().digest() and gives the same digest.
function uuidV5In(namespace: Buffer, name: string): string {
  const bytes = hash('sha1', Buffer.concat([namespace, Buffer.from(name, 'utf8')]), 'buffer').subarray(0, 16);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x50;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * Patient and Device builders. Deterministic, so they can be upserted on every sync.
 *
 *   toPatient({ patientId, userId, name?, email? })   -> Patient (id = patientId, identifier = the account id)
 *   toDevice(source, { patientId })                  -> Device | undefined (undefined when the source names no
 *                                                       device, or the person typed the value in)
 *
 * A Device is per user: the same watch model worn by two users is two Devices (Device.patient).
 */
import type { Device, Patient } from '@medplum/fhirtypes';
import { USER_IDENTIFIER_SYSTEM, VENDOR_TAG_SYSTEM } from './codes.ts';
import { deviceId, deviceIdentifier, deviceKey } from './ids.ts';
import type { MeasurementSource } from './measurement.ts';

export interface PatientInput {
  /** The FHIR id chosen for the account's Patient (`fhir_patient_id`). */
  patientId: string;
  /** The account id. */
  userId: string | number;
  name?: string;
  email?: string;
}

export function toPatient(user: PatientInput): Patient {
  return {
    resourceType: 'Patient',
    id: user.patientId,
    identifier: [{ system: USER_IDENTIFIER_SYSTEM, value: String(user.userId) }],
    active: true,
    ...(user.name ? { name: [{ text: user.name }] } : {}),
    ...(user.email ? { telecom: [{ system: 'email' as const, value: user.email }] } : {}),
  };
}

export function toDevice(source: MeasurementSource, ctx: { patientId: string }): Device | undefined {
  if (source.userEntered) return undefined;
  const key = deviceKey(source);
  if (key === undefined) return undefined;
  const identifier = deviceIdentifier(ctx.patientId, source.vendor, key);
  return {
    resourceType: 'Device',
    id: deviceId(identifier),
    meta: { tag: [{ system: VENDOR_TAG_SYSTEM, code: source.vendor }] },
    identifier: [identifier],
    status: 'active',
    ...(source.manufacturer ? { manufacturer: source.manufacturer } : {}),
    ...(source.deviceName
      ? {
          deviceName: [{ name: source.deviceName, type: 'model-name' as const }],
          modelNumber: source.deviceName,
        }
      : {}),
    patient: { reference: `Patient/${ctx.patientId}` },
  };
}

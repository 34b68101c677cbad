/**
 * The closed catalog of audited actions. Routes opt in with `config: { audit: '<action>' }`
 * (src/audit/audit.hook.ts records them after a successful response); services that know more
 * call `audit.record(...)` themselves.
 *
 * `explicit: true` actions are written by their service only (the hook skips them): an erasure
 * writes its own anonymized record inside the erasure transaction.
 */
export const AUDIT_ACTIONS = {
  'health.observations.list': { resourceType: 'Observation' },
  'health.summary.read': { resourceType: 'Observation' },
  'health.export': { resourceType: 'Observation' },
  'health.sources.read': { resourceType: 'SourcePriority' },
  'health.sources.update': { resourceType: 'SourcePriority' },
  'fhir.Patient.read': { resourceType: 'Patient' },
  'fhir.Observation.read': { resourceType: 'Observation' },
  'fhir.Device.read': { resourceType: 'Device' },
  'fhir.Observation.search': { resourceType: 'Observation' },
  'fhir.Observation.create': { resourceType: 'Observation' },
  'fhir.Condition.read': { resourceType: 'Condition' },
  'fhir.Condition.search': { resourceType: 'Condition' },
  'fhir.Condition.create': { resourceType: 'Condition' },
  'integration.select': { resourceType: 'Integration' },
  'integration.disconnect': { resourceType: 'Integration' },
  'integration.authorize': { resourceType: 'Integration' },
  'integration.callback': { resourceType: 'Integration', explicit: true },
  'health.sync': { resourceType: 'SyncRun' },
  'health.sync.read': { resourceType: 'SyncRun' },
  'account.erase': { resourceType: 'Patient', explicit: true },
  'webhooks.endpoint.create': { resourceType: 'WebhookEndpoint' },
  'webhooks.endpoint.list': { resourceType: 'WebhookEndpoint' },
  'webhooks.endpoint.read': { resourceType: 'WebhookEndpoint' },
  'webhooks.endpoint.delete': { resourceType: 'WebhookEndpoint' },
  'webhooks.endpoint.rotate_secret': { resourceType: 'WebhookEndpoint' },
  'webhooks.deliveries.read': { resourceType: 'WebhookEndpoint' },
  'webhooks.deliveries.retry': { resourceType: 'WebhookEndpoint' },
  'notices.list': { resourceType: 'Notice' },
  'notices.dismiss': { resourceType: 'Notice' },
  'imports.create': { resourceType: 'Import' },
  'imports.list': { resourceType: 'Import' },
  'imports.read': { resourceType: 'Import' },
  'imports.delete': { resourceType: 'Import' },
} as const satisfies Record<string, { resourceType: string; explicit?: boolean }>;

export type AuditAction = keyof typeof AUDIT_ACTIONS;

export function isAuditAction(value: unknown): value is AuditAction {
  return typeof value === 'string' && Object.hasOwn(AUDIT_ACTIONS, value);
}

export function isExplicitAction(action: AuditAction): boolean {
  return 'explicit' in AUDIT_ACTIONS[action];
}

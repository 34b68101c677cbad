// The data types the sandbox knows, with the facts from docs/google-health.md §4 (table), §3.4
// (page sizes, filters) and §5.2 (rollup caps). Ids are the URL (kebab-case) form.

export const SCOPE_PREFIX = 'https://www.googleapis.com/auth/googlehealth.';

export type ScopeFamily =
  | 'activity_and_fitness'
  | 'health_metrics_and_measurements'
  | 'sleep'
  | 'nutrition'
  | 'profile'
  | 'settings'
  | 'ecg'
  | 'irn'
  | 'location';

export type RecordKind = 'interval' | 'sample' | 'daily' | 'session';

export type SimulatedType =
  | 'steps'
  | 'distance'
  | 'active-energy-burned'
  | 'total-calories'
  | 'heart-rate'
  | 'daily-resting-heart-rate'
  | 'oxygen-saturation'
  | 'daily-oxygen-saturation'
  | 'weight'
  | 'body-fat'
  | 'sleep'
  | 'daily-heart-rate-variability'
  | 'daily-respiratory-rate'
  | 'daily-sleep-temperature-derivations';

export interface DataTypeInfo {
  id: string;
  filterName: string;
  unionField: string;
  record: RecordKind;
  scope: ScopeFamily;
  list: boolean;
  /** Max days per dailyRollUp range, or undefined when dailyRollUp is not offered. */
  dailyRollUpMaxDays?: 14 | 90;
  identifiable: boolean;
  webhook: boolean;
  /** Whether the sandbox generates data for it; other known types answer with no data. */
  simulated: boolean;
}

function info(
  id: string,
  record: RecordKind,
  scope: ScopeFamily,
  extra: Partial<Omit<DataTypeInfo, 'id' | 'record' | 'scope'>> = {},
): DataTypeInfo {
  const filterName = id.replaceAll('-', '_');
  const unionField = id.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
  return {
    id,
    filterName,
    unionField,
    record,
    scope,
    list: true,
    identifiable: false,
    webhook: true,
    simulated: false,
    ...extra,
  };
}

const A = 'activity_and_fitness';
const H = 'health_metrics_and_measurements';

const TYPES: DataTypeInfo[] = [
  info('steps', 'interval', A, { simulated: true, dailyRollUpMaxDays: 90 }),
  info('distance', 'interval', A, { simulated: true, dailyRollUpMaxDays: 90 }),
  info('active-energy-burned', 'interval', A, { simulated: true, dailyRollUpMaxDays: 90, webhook: false }),
  // NOTE: total-calories has no list, only rollups (docs/google-health.md §4, third party).
  info('total-calories', 'interval', A, { simulated: true, list: false, dailyRollUpMaxDays: 14 }),
  info('heart-rate', 'sample', H, { simulated: true, dailyRollUpMaxDays: 14 }),
  info('daily-resting-heart-rate', 'daily', H, { simulated: true, dailyRollUpMaxDays: 90 }),
  info('oxygen-saturation', 'sample', H, { simulated: true, webhook: false }),
  info('daily-oxygen-saturation', 'daily', H, { simulated: true }),
  info('weight', 'sample', H, { simulated: true, identifiable: true, dailyRollUpMaxDays: 90 }),
  info('body-fat', 'sample', H, { simulated: true, identifiable: true, dailyRollUpMaxDays: 90 }),
  info('sleep', 'session', 'sleep', { simulated: true, identifiable: true }),
  info('daily-heart-rate-variability', 'daily', H, { simulated: true }),
  info('daily-respiratory-rate', 'daily', H, { simulated: true }),
  info('daily-sleep-temperature-derivations', 'daily', H, { simulated: true }),
  // Known to the API but not simulated: they answer with empty lists.
  info('floors', 'interval', A, { list: false, dailyRollUpMaxDays: 90 }),
  info('altitude', 'interval', A, { dailyRollUpMaxDays: 90 }),
  info('active-minutes', 'interval', A, { dailyRollUpMaxDays: 14 }),
  info('active-zone-minutes', 'interval', A, { dailyRollUpMaxDays: 90 }),
  info('activity-level', 'interval', A),
  info('sedentary-period', 'interval', A, { dailyRollUpMaxDays: 90 }),
  info('time-in-heart-rate-zone', 'interval', A, { dailyRollUpMaxDays: 90 }),
  info('exercise', 'session', A, { identifiable: true }),
  info('run-vo2-max', 'sample', A, { dailyRollUpMaxDays: 90 }),
  info('vo2-max', 'sample', A, { webhook: false }),
  info('daily-vo2-max', 'daily', A, { webhook: false }),
  info('heart-rate-variability', 'sample', H),
  info('daily-heart-rate-zones', 'daily', H),
  info('respiratory-rate-sleep-summary', 'sample', H),
  info('height', 'sample', H, { identifiable: true }),
  info('blood-glucose', 'sample', H, { identifiable: true, dailyRollUpMaxDays: 90 }),
  info('core-body-temperature', 'sample', H, { identifiable: true, webhook: false, dailyRollUpMaxDays: 90 }),
  info('hydration-log', 'session', 'nutrition', { identifiable: true, dailyRollUpMaxDays: 90 }),
  info('nutrition-log', 'session', 'nutrition', { identifiable: true, dailyRollUpMaxDays: 90 }),
  info('electrocardiogram', 'session', 'ecg', { webhook: false }),
  info('irregular-rhythm-notification', 'session', 'irn', { webhook: false }),
];

const BY_ID = new Map(TYPES.map((t) => [t.id, t]));

export function findDataType(id: string): DataTypeInfo | undefined {
  return BY_ID.get(id);
}

export function simulatedTypes(): DataTypeInfo[] {
  return TYPES.filter((t) => t.simulated);
}

/** Page size default and cap for list and reconcile (docs/google-health.md §3.4). */
export function pageSizeLimits(type: DataTypeInfo): { defaultSize: number; maxSize: number } {
  // NOTE: sleep and exercise default to and cap at 25 (DISC, docs/google-health.md §3.4).
  if (type.id === 'sleep' || type.id === 'exercise') return { defaultSize: 25, maxSize: 25 };
  return { defaultSize: 1440, maxSize: 10_000 };
}

/** Scopes that allow reading a family: the current `.readonly` and the older read/write name. */
export function readScopesFor(family: ScopeFamily): string[] {
  // NOTE: the older unsuffixed read/write names appear in the codelab token sample (docs/google-health.md §2.1).
  return [`${SCOPE_PREFIX}${family}.readonly`, `${SCOPE_PREFIX}${family}`];
}

const FAMILIES: ScopeFamily[] = [
  'activity_and_fitness',
  'health_metrics_and_measurements',
  'sleep',
  'nutrition',
  'profile',
  'settings',
  'ecg',
  'irn',
  'location',
];

/** Every scope the consent screen accepts. */
export function knownScopes(): Set<string> {
  const scopes = new Set<string>(['openid', 'email', 'profile']);
  for (const family of FAMILIES) {
    scopes.add(`${SCOPE_PREFIX}${family}.readonly`);
    scopes.add(`${SCOPE_PREFIX}${family}`);
    if (family !== 'ecg' && family !== 'irn' && family !== 'location') {
      scopes.add(`${SCOPE_PREFIX}${family}.writeonly`);
    }
  }
  return scopes;
}

export function isHealthScope(scope: string): boolean {
  return scope.startsWith(SCOPE_PREFIX);
}

/**
 * Source priorities (docs/api.md "Source priorities", docs/sources.md): which source the summary counts on a
 * day when several measured the same type. Principal first, repositories below.
 *
 *   get(principal)        -> SourcesView: the stored lists and the effective order of every type
 *   put(principal, body)  -> SourcesView after replacing the stored lists with the body's
 */
import { findTimeZone } from '../auth/auth.repository.ts';
import type { Principal } from '../auth/auth.service.ts';
import type { Clock } from '../clock.ts';
import type { Db } from '../db/database.ts';
import { AppError, invalidField } from '../errors.ts';
import { MEASUREMENT_TYPES } from '../fhir/measurement.ts';
import { recentDaysBySource } from '../fhir/store/observation-days.repository.ts';
import { localDateIn, userZone } from '../fhir/zones.ts';
import {
  type DefaultRule,
  effectiveOrder,
  groupOf,
  groupScope,
  isSourceGroup,
  KNOWN_SOURCES,
  RECENT_DAYS,
  ruleOf,
  SOURCE_GROUPS,
  type SourceGroup,
} from './source-priority.ts';
import { findPriorities, replacePriorities } from './sources.repository.ts';

export interface SourcesServiceDeps {
  db: Db;
  clock: Clock;
  defaultTimeZone: string;
}

/** PUT /health/sources: lists per group and per type, best source first (the route checks the shape). */
export interface SourcesBody {
  groups?: Partial<Record<string, string[]>> | undefined;
  types?: Partial<Record<string, string[]>> | undefined;
}

export interface SourcesView {
  groups: Partial<Record<SourceGroup, string[]>>;
  types: Partial<Record<string, string[]>>;
  effective: {
    type: string;
    group: SourceGroup;
    rule: DefaultRule;
    sources: string[];
    default: boolean;
    /** Days with data of this type per source in the last RECENT_DAYS local days. */
    recent_days: Record<string, number>;
  }[];
}

export type SourcesService = ReturnType<typeof createSourcesService>;

export function createSourcesService(deps: SourcesServiceDeps) {
  const { db } = deps;

  async function todayOf(principal: Principal): Promise<string> {
    const stored = await findTimeZone(db, principal.userId);
    if (stored === undefined) throw new AppError('UNAUTHENTICATED', 'Account no longer exists');
    return localDateIn(userZone(stored, deps.defaultTimeZone), deps.clock.now().getTime());
  }

  async function view(principal: Principal): Promise<SourcesView> {
    const today = await todayOf(principal);
    const [stored, recent] = await Promise.all([
      findPriorities(db, principal.userId),
      recentDaysBySource(db, principal.userId, MEASUREMENT_TYPES, today, RECENT_DAYS),
    ]);
    const groups: SourcesView['groups'] = {};
    const types: SourcesView['types'] = {};
    for (const [scope, sources] of stored) {
      const group = scope.startsWith('group:') ? scope.slice('group:'.length) : undefined;
      if (group === undefined) types[scope] = sources;
      else if (isSourceGroup(group)) groups[group] = sources;
    }
    const effective = MEASUREMENT_TYPES.map((type) => {
      const group = groupOf(type);
      const days = new Map(recent.filter((r) => r.type === type).map((r) => [r.source, r.days]));
      const order = effectiveOrder(type, { type: types[type], group: groups[group] }, days);
      return {
        type,
        group,
        rule: ruleOf(group),
        sources: order.sources,
        default: order.default,
        recent_days: Object.fromEntries([...days].filter(([s]) => s !== '')),
      };
    });
    return { groups, types, effective };
  }

  return {
    get: view,

    async put(principal: Principal, body: SourcesBody): Promise<SourcesView> {
      const lists = parseLists(body);
      await db
        .transaction()
        .execute((trx) => replacePriorities(trx, principal.userId, lists, deps.clock.now()));
      return view(principal);
    },
  };
}

/** The body's lists by scope; a source nobody knows, or one named twice, is a 400 naming it. */
function parseLists(body: SourcesBody): Map<string, string[]> {
  const lists = new Map<string, string[]>();
  const take = (kind: 'groups' | 'types', name: string, sources: string[] | undefined) => {
    if (sources === undefined) return;
    if (sources.length === 0) throw invalidField(`${kind}.${name}`, 'must list at least one source');
    sources.forEach((source, i) => {
      if (!KNOWN_SOURCES.includes(source))
        throw invalidField(
          `${kind}.${name}[${i}]`,
          `unknown source "${source.slice(0, 64)}"; one of ${KNOWN_SOURCES.join(', ')}`,
        );
      if (sources.indexOf(source) !== i)
        throw invalidField(`${kind}.${name}[${i}]`, `"${source}" is listed twice`);
    });
    lists.set(kind === 'groups' ? groupScope(name as SourceGroup) : name, [...sources]);
  };
  for (const [name, sources] of Object.entries(body.groups ?? {})) {
    if (!isSourceGroup(name))
      throw invalidField(`groups.${name.slice(0, 40)}`, `unknown group; one of ${SOURCE_GROUPS.join(', ')}`);
    take('groups', name, sources);
  }
  for (const [name, sources] of Object.entries(body.types ?? {})) {
    if (!(MEASUREMENT_TYPES as readonly string[]).includes(name))
      throw invalidField(
        `types.${name.slice(0, 40)}`,
        `unknown type; one of ${MEASUREMENT_TYPES.join(', ')}`,
      );
    take('types', name, sources);
  }
  return lists;
}

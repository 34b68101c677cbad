/**
 * The app and the vendor sandbox on one fake clock, a connected person, and readers for what a
 * user (or the database) sees after a sync.
 */
import { expect } from 'vitest';
import type { SandboxOptions } from '../../src/sandbox/index.ts';
import type { SyncTuning } from '../../src/sync/sync.engine.ts';
import { registerUser, type SandboxTestApp, withSandbox } from './app.ts';
import { type FakeClock, fakeClock } from './clock.ts';
import { connectFitbit } from './flow.ts';

export interface SyncWorld extends SandboxTestApp {
  clock: FakeClock;
}

export async function syncWorld(
  options: {
    start?: string;
    sandbox?: SandboxOptions;
    env?: Record<string, string>;
    tuning?: SyncTuning;
    /** The app's outbound fetch (vendor calls), e.g. to hold them: `gatedFetch()`. */
    fetch?: typeof fetch;
  } = {},
): Promise<SyncWorld> {
  const clock = fakeClock(options.start ?? '2026-11-20T09:30:00Z');
  const t = await withSandbox({
    sandbox: { now: clock.now, initialPeople: 0, ...options.sandbox },
    app: {
      clock,
      ...(options.env ? { env: options.env } : {}),
      ...(options.fetch ? { fetch: options.fetch } : {}),
      overrides: { sync: { cooldownMs: 200, immediateTimeoutMs: 60_000, ...options.tuning } },
    },
  });
  return { ...t, clock };
}

/**
 * The app's fetch, with its Health API calls (`/v4/...`) counted and, while `hold()` is in force,
 * held until `release()`: a run stays open as long as a test needs it to.
 */
export function gatedFetch() {
  let gate: Promise<void> | undefined;
  let open = () => {};
  const state = { calls: 0 };
  const gated: typeof fetch = async (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (new URL(url).pathname.startsWith('/v4/')) {
      state.calls += 1;
      if (gate) await gate;
    }
    return fetch(input, init);
  };
  return {
    fetch: gated,
    get calls() {
      return state.calls;
    },
    hold() {
      gate = new Promise<void>((resolve) => {
        open = resolve;
      });
    },
    release() {
      gate = undefined;
      open();
    },
  };
}

export interface Connected {
  user: Awaited<ReturnType<typeof registerUser>>;
  personId: string;
  integrationId: string;
}

/** A new user connects a new sandbox person; the backfill starts by itself (not awaited here). */
export async function connectPerson(
  t: SyncWorld,
  person: { timeZone: string; days?: number; seed?: number },
): Promise<Connected> {
  const user = await registerUser(t.app);
  const p = t.sandbox.people.createPerson({ days: 30, ...person });
  await connectFitbit(t.app, user.auth, p.id);
  const list = await t.app.inject({ url: '/integrations/vendors', headers: user.auth });
  const integrationId = list.json().integrations[0].id as string;
  return { user, personId: p.id, integrationId };
}

/** Waits until no job is waiting or running, the integration has a finished run and none open. */
export async function settled(t: SyncWorld, integrationId: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const rows = await t.deps.db
      .selectFrom('sync_run_items')
      .select(['finished_at'])
      .where('integration_id', '=', integrationId)
      .execute();
    const jobs = (await t.deps.jobs.health()).detail ?? {};
    const idle = Number(jobs.waiting ?? 0) === 0 && Number(jobs.active ?? 0) === 0;
    if (idle && rows.length > 0 && rows.every((r) => r.finished_at !== null)) return;
    if (Date.now() > deadline) throw new Error(`sync of ${integrationId} did not settle`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface ApiItem {
  id: string;
  type: string;
  status: string;
  value: number;
  date: string;
  effective_start: string;
  samples: { time: string; value: number }[] | null;
}

/** Every observation the user sees through GET /health/observations (all pages). */
export async function observations(t: SyncWorld, auth: { authorization: string }, type: string) {
  const out: ApiItem[] = [];
  let cursor: string | null = null;
  do {
    const q: string = `/health/observations?type=${type}&limit=500&sort=date${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const res = await t.app.inject({ url: q, headers: auth });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json() as { items: ApiItem[]; next_cursor: string | null };
    out.push(...body.items);
    cursor = body.next_cursor;
  } while (cursor);
  return out;
}

export function byDate(items: ApiItem[]): Map<string, ApiItem> {
  return new Map(items.map((i) => [i.date, i]));
}

export async function immediate(t: SyncWorld, auth: { authorization: string }) {
  const res = await t.app.inject({ method: 'POST', url: '/health/sync/immediate', headers: auth });
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as {
    sync_id: string;
    status: string;
    finished_at: string | null;
    integrations: {
      vendor: string;
      status: string;
      window: { start: string | null; end: string | null };
      requests: number;
      fetched: number;
      created: number;
      updated: number;
      unchanged: number;
      errors: { code: string; message: string }[];
    }[];
  };
}

export async function resourceRowCount(t: SyncWorld, userId: number): Promise<number> {
  const row = await t.deps.db
    .selectFrom('fhir_resources')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('user_id', '=', userId)
    .where('resource_type', '=', 'Observation')
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

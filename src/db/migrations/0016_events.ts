import { type Kysely, sql } from 'kysely';

// The events outbox (docs/events.md): one row per thing that happened to a person's data or
// connections, written in the same transaction as the change it describes, so no event is lost
// and none describes a change that rolled back.
// - id: `evt_<uuid>` (no '.', as Standard Webhooks asks of `webhook-id`), stable across retries;
// - seq: commit-independent order of insertion, what a dispatcher pages by;
// - user_id: whose event it is; null only for `account.deleted`, which belongs to no account any
//   more (its payload names the erased id for the deployment's own endpoint);
// - payload: thin (ids, counts and ranges; never health values).
// webhook_endpoints: a person's own receivers of their events (POST /webhooks/endpoints); the
// signing secret is sealed with the vault (src/vault) and shown only when created or rotated;
// user_id null: the deployment's endpoint (EVENTS_WEBHOOK_URL), written from the config at start;
// failing_since: the first failed attempt since the last success (3 days of it disable the endpoint).
// webhook_deliveries: one row per (endpoint, event) the dispatcher matched, its state and next try;
// webhook_attempts: every attempt (time, duration, HTTP status or error), for GET .../deliveries.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create table events (
    id text collate "C" primary key,
    seq bigint generated always as identity unique,
    user_id integer,
    type text collate "C" not null,
    occurred_at timestamptz not null,
    payload jsonb not null,
    dispatched_at timestamptz
  )`.execute(db);
  await sql`create index events_user on events (user_id, seq)`.execute(db);
  await sql`create index events_undispatched on events (seq) where dispatched_at is null`.execute(db);
  await sql`create table webhook_endpoints (
    id uuid primary key,
    user_id integer references users (id) on delete cascade,
    url text not null,
    events text[],
    description text,
    secret text not null,
    status text collate "C" not null default 'enabled',
    disabled_at timestamptz,
    failing_since timestamptz,
    created_at timestamptz not null,
    updated_at timestamptz not null
  )`.execute(db);
  await sql`create index webhook_endpoints_user on webhook_endpoints (user_id, created_at)`.execute(db);
  await sql`create table webhook_deliveries (
    endpoint_id uuid not null references webhook_endpoints (id) on delete cascade,
    event_id text collate "C" not null references events (id) on delete cascade,
    status text collate "C" not null,
    attempts integer not null default 0,
    next_attempt_at timestamptz,
    last_attempt_at timestamptz,
    created_at timestamptz not null,
    primary key (endpoint_id, event_id)
  )`.execute(db);
  await sql`create index webhook_deliveries_event on webhook_deliveries (event_id)`.execute(db);
  await sql`create table webhook_attempts (
    id bigint generated always as identity primary key,
    endpoint_id uuid not null,
    event_id text collate "C" not null,
    attempted_at timestamptz not null,
    duration_ms integer not null,
    status_code integer,
    error text,
    ok boolean not null,
    foreign key (endpoint_id, event_id) references webhook_deliveries (endpoint_id, event_id) on delete cascade
  )`.execute(db);
  await sql`create index webhook_attempts_delivery on webhook_attempts (endpoint_id, event_id, id)`.execute(
    db,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table webhook_attempts`.execute(db);
  await sql`drop table webhook_deliveries`.execute(db);
  await sql`drop table webhook_endpoints`.execute(db);
  await sql`drop table events`.execute(db);
}

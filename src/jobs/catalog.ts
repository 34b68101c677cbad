// Every job the app knows, as `name -> payload` (ids only; declare payloads with `type`).
// A feature declares its own map next to its handlers and joins it here, e.g.
//   export type AppJobs = SyncJobs & OutboxJobs;
// deps.ts then registers one definition per name: `jobs.register({ ...syncJobs(services) })`,
// and the compiler checks both that every job has a handler and every enqueue's payload.
import type { EventJobs } from '../events/delivery.ts';
import type { ImportJobs } from '../imports/imports.jobs.ts';
import type { SyncJobs } from '../sync/sync.jobs.ts';

export type AppJobs = SyncJobs & EventJobs & ImportJobs;

import type { AppJobs } from './catalog.ts';
import type { JobSystem } from './registry.ts';

/** The app's job system (deps.jobs). New code can import `JobSystem` from registry.ts. */
export type JobRunner = JobSystem<AppJobs>;

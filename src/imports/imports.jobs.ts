/**
 * The import job. Its payload carries ids only; the uploaded file is found by the import's id.
 *
 *   imports.run  one import; group `imports:<userId>`: a person's imports run one at a time
 */
import { defineJobs, handler } from '../jobs/registry.ts';

export type ImportJobData = { importId: string; userId: number };

export type ImportJobs = { 'imports.run': ImportJobData };

export function importJobs(deps: {
  run: (data: ImportJobData, signal: AbortSignal) => Promise<void>;
  fail: (data: ImportJobData, error: unknown) => Promise<void>;
}) {
  return defineJobs<ImportJobs>({
    // One attempt: the runner records its own failures (and undoes what it wrote); a crash of the
    // worker itself leaves the import failed here.
    'imports.run': handler(async (data, ctx) => deps.run(data, ctx.signal), {
      group: (d) => `imports:${d.userId}`,
      attempts: 1,
      onFailure: (d, err) => deps.fail(d, err),
    }),
  });
}

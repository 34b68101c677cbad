import { describe } from 'vitest';
import { testRedisUrl } from '../helpers/jobs.ts';
import { describeJobRunner } from './behaviour.ts';

// The same behavioural suite on BullMQ; skipped without TEST_REDIS_URL.
describe.skipIf(!testRedisUrl)('bullmq', () => {
  describeJobRunner('bullmq');
});

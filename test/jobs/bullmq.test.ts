import { describe } from 'vitest';
import { describeJobRunner } from './behaviour.ts';
import { testRedisUrl } from './support.ts';

// The same behavioural suite on BullMQ; skipped without TEST_REDIS_URL.
describe.skipIf(!testRedisUrl)('bullmq', () => {
  describeJobRunner('bullmq');
});

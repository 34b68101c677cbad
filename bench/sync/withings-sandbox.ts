// Bench helper: the vendor sandbox in a child process of bench/sync/withings.ts, driven over IPC, so
// the bench's own CPU time is the app's alone and this process's is the emulator's. Its clock is real
// time plus a shift the parent gives (BENCH_SHIFT_MS) and moves ('advance'), so the two agree and the
// emulator's rolling 60 s rate limit runs on real time, as the app's budget does.
//
//   parent -> { id, op, args }     child -> { id, result } | { id, error }
import { startSandbox } from '../../src/sandbox/index.ts';

let shiftMs = Number(process.env.BENCH_SHIFT_MS ?? 0);
const sandbox = await startSandbox({
  now: () => new Date(Date.now() + shiftMs),
  initialPeople: 0,
  autoConsent: true,
});
const admin = sandbox.withings.admin;

type Op = (...args: never[]) => unknown;
const ops: Record<string, Op> = {
  env: () => ({ url: sandbox.url, env: sandbox.env }),
  createPerson: (input: Parameters<typeof sandbox.people.createPerson>[0]) => {
    const person = sandbox.people.createPerson(input);
    // The next consent (autoConsent) signs in as this person.
    admin.setConsentPerson(person.id);
    return { id: person.id };
  },
  addMeasureGroup: (...args: Parameters<typeof admin.addMeasureGroup>) => admin.addMeasureGroup(...args),
  setActivityDay: (...args: Parameters<typeof admin.setActivityDay>) => admin.setActivityDay(...args),
  requestLog: () => {
    const { total, byAction, byStatus } = admin.requestLog();
    return { total, byAction, byStatus };
  },
  resetRequestLog: () => admin.resetRequestLog(),
  setRateLimit: (perMinute: number) => admin.setRateLimit(perMinute),
  advance: (ms: number) => {
    shiftMs += ms;
  },
  cpu: () => process.cpuUsage(),
  close: async () => {
    await sandbox.close();
    setImmediate(() => process.exit(0));
  },
};

process.on('message', async (message: { id: number; op: string; args?: unknown[] }) => {
  try {
    const op = ops[message.op];
    if (!op) throw new Error(`unknown op ${message.op}`);
    const result = await op(...((message.args ?? []) as never[]));
    process.send?.({ id: message.id, result: result ?? null });
  } catch (err) {
    process.send?.({ id: message.id, error: err instanceof Error ? err.message : String(err) });
  }
});
// The bench ended without saying so: end too.
process.on('disconnect', () => process.exit(0));
process.send?.({ ready: true });

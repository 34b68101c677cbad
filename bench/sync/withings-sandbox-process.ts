// The bench's handle on the sandbox child process (bench/sync/withings-sandbox.ts): starts it with
// the clock shift, sends it operations over IPC and waits for their answers; ends the bench if the
// child dies.
//
//   const sandbox = await startSandboxProcess(shiftMs);
//   const { id } = await sandbox.call<{ id: string }>('createPerson', { days: 30 });
//   const ms = await sandbox.cpuMs();
import { type ChildProcess, fork } from 'node:child_process';

/** The part of the emulator's request log the bench reads. */
export interface RequestLog {
  total: number;
  byAction: Record<string, number>;
  byStatus: Record<string, number>;
}

export async function startSandboxProcess(shift: number) {
  const child: ChildProcess = fork(new URL('./withings-sandbox.ts', import.meta.url), [], {
    env: { PATH: process.env.PATH ?? '', BENCH_SHIFT_MS: String(shift) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  child.once('exit', (code) => {
    if (code !== 0) {
      console.error(`sandbox process exited with ${code}`);
      process.exit(1);
    }
  });
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let ready: () => void = () => undefined;
  const isReady = new Promise<void>((r) => {
    ready = r;
  });
  child.on('message', (m: { ready?: boolean; id?: number; result?: unknown; error?: string }) => {
    if (m.ready) return ready();
    const w = waiting.get(m.id ?? -1);
    waiting.delete(m.id ?? -1);
    if (m.error !== undefined) w?.reject(new Error(m.error));
    else w?.resolve(m.result);
  });
  await isReady;
  let next = 0;
  const call = <T = unknown>(op: string, ...args: unknown[]): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const id = next++;
      waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      child.send({ id, op, args });
    });
  return {
    call,
    async cpuMs(): Promise<number> {
      const u = await call<{ user: number; system: number }>('cpu');
      return (u.user + u.system) / 1000;
    },
  };
}

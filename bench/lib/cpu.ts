// CPU time for benches: this process's (process.cpuUsage) and every postgres process's on this host
// (from /proc). On a shared machine CPU per request or per person moves far less than wall-clock rates.
import { readdirSync, readFileSync } from 'node:fs';

/** CPU ms (user + system) of this process. */
export function processCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/**
 * CPU ms of every postgres process on this host, from /proc (0 when there is none, e.g. PGlite),
 * with that of the backends already ended (the postmaster's reaped children: a pool closes idle
 * connections, and their CPU would vanish from a sum of the live ones). Other work on the same
 * server counts too: read it on a quiet machine.
 */
export function postgresCpuMs(): number {
  let total = 0;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (!stat.includes('(postgres)')) continue;
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // utime, stime, cutime, cstime in clock ticks; USER_HZ is 100 on Linux.
      const ticks = Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
      total += (ticks * 1000) / 100;
    } catch {
      // the process ended meanwhile
    }
  }
  return total;
}

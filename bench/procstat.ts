/** CPU time of other processes (the wiki's php -S workers, the broker JVM) from /proc, Linux only. */
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

function statOf(pid: string): { pgrp: number; ticks: number } | undefined {
  try {
    const raw = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = raw.slice(raw.lastIndexOf(')') + 2).split(' ');
    // fields[0] is state (field 3); pgrp is field 5, utime 14, stime 15, cutime 16, cstime 17.
    return {
      pgrp: Number(fields[2]),
      ticks: Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]),
    };
  } catch {
    return undefined;
  }
}

/** CPU ms used so far by every process in process group `pgid` (0 when unknown). */
export function groupCpuMs(pgid: number | undefined): number {
  if (!pgid) return 0;
  let ticks = 0;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const s = statOf(pid);
    if (s && s.pgrp === pgid) ticks += s.ticks;
  }
  return (ticks * 1000) / TICKS_PER_SECOND;
}

export function pidFrom(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Process group of a pid (the broker JVM is not a group leader; the wiki's php -S is, via setsid). */
export function pgidOf(pid: number | undefined): number | undefined {
  if (!pid) return undefined;
  return statOf(String(pid))?.pgrp;
}

/** CPU ms used so far by one process (and its waited-for children). */
export function pidCpuMs(pid: number | undefined): number {
  if (!pid) return 0;
  const s = statOf(String(pid));
  return s ? (s.ticks * 1000) / TICKS_PER_SECOND : 0;
}

// CPU time used so far by a process (from /proc, Linux) or by redis-server (INFO cpu), in seconds.
import { readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ: 100 on every Linux kernel in practice

/** utime + stime of a process, or NaN where /proc is not available. */
export function processCpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return Number.NaN;
  }
}

/** used_cpu_user + used_cpu_sys of the redis-server behind `redis`. */
export async function redisCpuSeconds(redis) {
  const info = await redis.info('cpu');
  const value = (name) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? Number.NaN);
  return value('used_cpu_user') + value('used_cpu_sys');
}

/** This process's CPU time (user + system). */
export function ownCpuSeconds() {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

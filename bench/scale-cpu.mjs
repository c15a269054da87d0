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

/**
 * INFO commandstats of the redis-server behind `redis` (since the last CONFIG RESETSTAT): calls and microseconds
 * per command, most time first. A command a script calls is counted under its name and in the script's time too.
 */
export async function redisCommandStats(redis) {
  const info = await redis.info('commandstats');
  const perCommand = {};
  for (const [, command, calls, time] of info.matchAll(/^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/gm)) {
    if (command === 'info' || command === 'config') continue; // the benchmark's own
    perCommand[command] = { calls: Number(calls), usec: Number(time) };
  }
  return { perCommand: Object.fromEntries(Object.entries(perCommand).sort(([, a], [, b]) => b.usec - a.usec)) };
}

/** CPU time the whole machine spent busy so far (user, nice, system, irq, softirq over all cores, from /proc/stat). */
export function machineCpuSeconds() {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/).slice(1).map(Number);
    const [user, nice, system, , , irq, softirq] = fields;
    return (user + nice + system + irq + softirq) / TICKS_PER_SECOND;
  } catch {
    return Number.NaN;
  }
}

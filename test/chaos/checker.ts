/**
 * The chaos checker: what the pipeline holds afterwards, read from Redis (the
 * source stream, the analysis jobs of every target, the alert log), counted
 * against the numbers the source sent.
 */
import { Alert, fieldsToObject, StreamEntryFields, WindowJob, WindowJobResult } from '@turbostream/contracts';
import type { KeyLayout } from '@turbostream/redis';
import type { JobType, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { seqOf } from '../support/numbered-source.js';

/** One entry of the source stream, as the checker needs it. */
export interface StoredEntry {
  id: string;
  kind: 'message' | 'gap' | 'invalid';
  /** The message's sequence number (messages of the numbered source only). */
  seq?: number;
}

/** One analysis job of one target. */
export interface JobRecord {
  target: string;
  windowId: string;
  messageIds: readonly string[];
  state: 'completed' | 'failed' | 'pending';
  /** Alert ids the analyzer reported (completed jobs). */
  alertIds: readonly string[];
  /** The job was started more than once (stalled, or retried). */
  restarted: boolean;
}

/** Everything the checker reads from Redis at one moment. */
export interface PipelineSnapshot {
  entries: readonly StoredEntry[];
  jobs: readonly JobRecord[];
  /** Alert ids in the durable log, in log order. */
  loggedAlertIds: readonly string[];
}

/** The figures of one scenario, the columns of the chaos table. */
export interface ChaosCounts {
  /** Numbers the source sent (written to ingest's socket), plus any stored that the source did not see acknowledged. */
  sent: number;
  /** Distinct numbers stored as message entries. */
  stored: number;
  /** Sent, not stored, with a gap entry where they are missing. */
  lostMarked: number;
  /** Sent, not stored, with no gap entry where they are missing. */
  lostSilent: number;
  /** Message entries whose number was stored before. */
  duplicated: number;
  /** Gap entries in the stream. */
  gaps: number;
  /** Distinct windows among the jobs of every target. */
  windows: number;
  /** Stored message entries in exactly one completed window of every target. */
  windowedOnce: number;
  /** Stored message entries in no completed window of some target. */
  windowedNone: number;
  /** Stored message entries in two or more completed windows of some target. */
  windowedTwice: number;
  /** Message ids in completed windows that the stream does not hold. */
  foreign: number;
  /** Windows with a completed job for every target. */
  analysed: number;
  pendingJobs: number;
  failedJobs: number;
  /** Completed jobs that were started more than once (stalled or retried). */
  restartedJobs: number;
  /** Entries in the alert log. */
  alerts: number;
  /** Log entries whose alert id is in the log already. */
  duplicateAlerts: number;
  /** Alert ids completed jobs reported that the log does not hold. */
  alertsMissing: number;
}

/**
 * For each number missing from the stream, whether a gap entry stands where it
 * would be: between the stored neighbours below and above it (or the stream's
 * start and end).
 */
function classifyLost(entries: readonly StoredEntry[], lost: readonly number[]): { marked: number; silent: number } {
  const positions = new Map<number, number>();
  const gapPositions: number[] = [];
  entries.forEach((entry, index) => {
    if (entry.kind === 'gap') gapPositions.push(index);
    else if (entry.seq !== undefined && !positions.has(entry.seq)) positions.set(entry.seq, index);
  });
  const storedSeqs = [...positions.keys()].sort((a, b) => a - b);
  let marked = 0;
  let cursor = 0;
  for (const seq of [...lost].sort((a, b) => a - b)) {
    while (cursor < storedSeqs.length && (storedSeqs[cursor] ?? 0) < seq) cursor += 1;
    const below = cursor > 0 ? (positions.get(storedSeqs[cursor - 1] ?? -1) ?? -1) : -1;
    const above =
      cursor < storedSeqs.length ? (positions.get(storedSeqs[cursor] ?? -1) ?? entries.length) : entries.length;
    const from = Math.min(below, above);
    const to = Math.max(below, above);
    if (gapPositions.some((position) => position > from && position < to)) marked += 1;
  }
  return { marked, silent: lost.length - marked };
}

/** Per stored message entry, the most and the fewest completed windows of one target that hold it. */
function windowCoverage(messageIds: readonly string[], jobs: readonly JobRecord[], targets: readonly string[]) {
  let once = 0;
  let none = 0;
  let twice = 0;
  const perTarget = targets.map((target) => {
    const counts = new Map<string, number>();
    for (const job of jobs)
      if (job.target === target && job.state === 'completed')
        for (const id of job.messageIds) counts.set(id, (counts.get(id) ?? 0) + 1);
    return counts;
  });
  for (const id of messageIds) {
    const counts = perTarget.map((target) => target.get(id) ?? 0);
    if (counts.some((count) => count === 0)) none += 1;
    else if (counts.some((count) => count > 1)) twice += 1;
    else once += 1;
  }
  const stored = new Set(messageIds);
  const foreign = new Set(perTarget.flatMap((target) => [...target.keys()]).filter((id) => !stored.has(id))).size;
  return { once, none, twice, foreign };
}

/** Windows, and how many of them every target has completed. */
function analysis(jobs: readonly JobRecord[], targets: readonly string[]) {
  const byWindow = new Map<string, Set<string>>();
  for (const job of jobs) {
    const done = byWindow.get(job.windowId) ?? new Set<string>();
    if (job.state === 'completed') done.add(job.target);
    byWindow.set(job.windowId, done);
  }
  const analysed = [...byWindow.values()].filter((done) => targets.every((target) => done.has(target))).length;
  return { windows: byWindow.size, analysed };
}

/** Counts a snapshot against the numbers sent. `targets` are the analysis targets every window must be completed by. */
export function countSnapshot(
  snapshot: PipelineSnapshot,
  sentSeqs: ReadonlySet<number>,
  targets: readonly string[],
): ChaosCounts {
  const messages = snapshot.entries.filter((entry) => entry.kind === 'message');
  const storedSeqs = new Set<number>();
  let duplicated = 0;
  for (const { seq } of messages) {
    if (seq === undefined) continue;
    if (storedSeqs.has(seq)) duplicated += 1;
    storedSeqs.add(seq);
  }
  const sent = new Set([...sentSeqs, ...storedSeqs]);
  const lost = [...sent].filter((seq) => !storedSeqs.has(seq));
  const { marked, silent } = classifyLost(snapshot.entries, lost);
  const coverage = windowCoverage(
    messages.map((entry) => entry.id),
    snapshot.jobs,
    targets,
  );
  const logged = new Set<string>();
  let duplicateAlerts = 0;
  for (const id of snapshot.loggedAlertIds) {
    if (logged.has(id)) duplicateAlerts += 1;
    logged.add(id);
  }
  const reported = new Set(snapshot.jobs.filter((job) => job.state === 'completed').flatMap((job) => job.alertIds));
  const completed = snapshot.jobs.filter((job) => job.state === 'completed');
  return {
    sent: sent.size,
    stored: storedSeqs.size,
    lostMarked: marked,
    lostSilent: silent,
    duplicated,
    gaps: snapshot.entries.filter((entry) => entry.kind === 'gap').length,
    ...analysis(snapshot.jobs, targets),
    windowedOnce: coverage.once,
    windowedNone: coverage.none,
    windowedTwice: coverage.twice,
    foreign: coverage.foreign,
    pendingJobs: snapshot.jobs.filter((job) => job.state === 'pending').length,
    failedJobs: snapshot.jobs.filter((job) => job.state === 'failed').length,
    restartedJobs: completed.filter((job) => job.restarted).length,
    alerts: snapshot.loggedAlertIds.length,
    duplicateAlerts,
    alertsMissing: [...reported].filter((id) => !logged.has(id)).length,
  };
}

/** The source stream's entries, in stream order. */
export async function readEntries(redis: Redis, key: string): Promise<StoredEntry[]> {
  const entries: StoredEntry[] = [];
  let start = '-';
  for (;;) {
    const page = await redis.xrange(key, start, '+', 'COUNT', 5000);
    for (const [id, fields] of page) {
      const parsed = StreamEntryFields.safeParse(fieldsToObject(fields));
      if (!parsed.success) entries.push({ id, kind: 'invalid' });
      else if (parsed.data.kind === 'gap') entries.push({ id, kind: 'gap' });
      else {
        const seq = seqOf(parsed.data.data);
        entries.push(seq === undefined ? { id, kind: 'message' } : { id, kind: 'message', seq });
      }
    }
    const last = page.at(-1)?.[0];
    if (page.length < 5000 || last === undefined) return entries;
    start = `(${last}`;
  }
}

/** Which BullMQ states count as what, for the checker. */
const JOB_STATES: readonly { state: JobRecord['state']; types: JobType[] }[] = [
  { state: 'completed', types: ['completed'] },
  { state: 'failed', types: ['failed'] },
  { state: 'pending', types: ['waiting', 'active', 'delayed', 'prioritized', 'waiting-children'] },
];

/** Every job of one target's queue, completed, failed or still to run. */
export async function readJobs(queue: Queue, target: string): Promise<JobRecord[]> {
  const records: JobRecord[] = [];
  for (const { state, types } of JOB_STATES) {
    for (const job of await queue.getJobs(types, 0, -1)) {
      const data = job ? WindowJob.safeParse(job.data) : undefined;
      if (!job || !data?.success) continue;
      const result = state === 'completed' ? WindowJobResult.safeParse(job.returnvalue) : undefined;
      records.push({
        target,
        windowId: data.data.window.windowId,
        messageIds: data.data.window.messages.map((message) => message.id),
        state,
        alertIds: result?.success ? result.data.alertIds : [],
        restarted: (job.stalledCounter ?? 0) > 0 || (job.attemptsStarted ?? 0) > 1,
      });
    }
  }
  return records;
}

/** The alert ids of the durable alert log, in log order. */
export async function readLoggedAlertIds(redis: Redis, keys: KeyLayout): Promise<string[]> {
  const ids: string[] = [];
  for (const [, fields] of await redis.xrange(keys.alertLog, '-', '+')) {
    const parsed = Alert.safeParse(JSON.parse(fieldsToObject(fields).alert ?? 'null'));
    ids.push(parsed.success ? parsed.data.id : `(unparsable log entry)`);
  }
  return ids;
}

/** Reads the stream, the jobs of every target's queue and the alert log. */
export async function readSnapshot(
  redis: Redis,
  keys: KeyLayout,
  streamId: string,
  queues: ReadonlyMap<string, Queue>,
): Promise<PipelineSnapshot> {
  const entries = await readEntries(redis, keys.messages(streamId));
  const jobs = (await Promise.all([...queues].map(([target, queue]) => readJobs(queue, target)))).flat();
  return { entries, jobs, loggedAlertIds: await readLoggedAlertIds(redis, keys) };
}

/** The highest number stored as a message, or -1. */
export function lastStoredSeq(entries: readonly StoredEntry[]): number {
  return entries.reduce((highest, entry) => Math.max(highest, entry.seq ?? -1), -1);
}

import { AnalysisRecord, entryIdTime, fieldsToObject } from '@turbostream/contracts';
import type { RedisClient } from './connection.js';
import type { KeyLayout } from './keys.js';

/** Approximate length (`MAXLEN ~`) the analysis log is capped at. */
export const ANALYSIS_LOG_MAX_LENGTH = 100_000;

/**
 * Appends analysis outcomes (contracts' `AnalysisRecord`) to `keys.analyses`, one entry per outcome with the record as
 * JSON in the field `record`. Best effort, like the event publisher: a record that cannot be written is reported to
 * `onError`, never thrown into the job that produced it.
 */
export class AnalysisLog {
  readonly #redis: RedisClient;
  readonly #keys: KeyLayout;
  readonly #maxLength: number;
  readonly #onError: (error: unknown) => void;

  constructor(options: {
    redis: RedisClient;
    keys: KeyLayout;
    /** @defaultValue {@link ANALYSIS_LOG_MAX_LENGTH} */
    maxLength?: number;
    onError?: (error: unknown) => void;
  }) {
    this.#redis = options.redis;
    this.#keys = options.keys;
    this.#maxLength = options.maxLength ?? ANALYSIS_LOG_MAX_LENGTH;
    this.#onError = options.onError ?? (() => {});
  }

  async append(record: AnalysisRecord): Promise<void> {
    try {
      const json = JSON.stringify(AnalysisRecord.parse(record));
      await this.#redis.xadd(this.#keys.analyses, 'MAXLEN', '~', String(this.#maxLength), '*', 'record', json);
    } catch (error) {
      this.#onError(error);
    }
  }
}

/** One record of the log, with when it was written (the entry id's time: Redis's clock). */
export interface LoggedAnalysis {
  at: number;
  record: AnalysisRecord;
}

export interface AnalysisLogRead {
  /** The records written from `from` on, oldest first. */
  analyses: LoggedAnalysis[];
  /** Entries in that range that are not a record this version reads (a newer version, or damaged). */
  unreadable: number;
  /** When the oldest entry the log still holds was written; undefined when it is empty. */
  oldestHeld: number | undefined;
  /** Entries the log holds in all. */
  length: number;
}

/** Reads the records written from `from` (epoch ms, Redis's clock) on, `pageSize` entries a round trip. */
export async function readAnalysisLog(
  redis: RedisClient,
  keys: KeyLayout,
  options: { from: number; pageSize?: number },
): Promise<AnalysisLogRead> {
  const pageSize = options.pageSize ?? 5_000;
  const analyses: LoggedAnalysis[] = [];
  let unreadable = 0;
  let start = `${Math.max(0, Math.floor(options.from))}-0`;
  for (;;) {
    const page = await redis.xrange(keys.analyses, start, '+', 'COUNT', pageSize);
    for (const [id, fields] of page) {
      const json = fieldsToObject(fields).record;
      let parsed: ReturnType<typeof AnalysisRecord.safeParse> | undefined;
      try {
        parsed = json === undefined ? undefined : AnalysisRecord.safeParse(JSON.parse(json));
      } catch {
        parsed = undefined;
      }
      if (parsed?.success) analyses.push({ at: entryIdTime(id), record: parsed.data });
      else unreadable += 1;
    }
    const last = page.at(-1);
    if (!last || page.length < pageSize) break;
    start = `(${last[0]}`;
  }
  const [oldest] = await redis.xrange(keys.analyses, '-', '+', 'COUNT', 1);
  return {
    analyses,
    unreadable,
    oldestHeld: oldest ? entryIdTime(oldest[0]) : undefined,
    length: await redis.xlen(keys.analyses),
  };
}

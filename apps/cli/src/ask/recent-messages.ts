import {
  entryIdTime,
  fieldsToObject,
  type ProviderId,
  StreamEntryFields,
  type Window,
  type WindowGap,
  type WindowMessage,
} from '@turbostream/contracts';
import { estimateInputTokens } from '@turbostream/costs/estimate-tokens';
import {
  buildAskPrompt,
  DEFAULT_PROMPT_LIMITS,
  type Prompt,
  type PromptLimits,
  showsEveryEntry,
} from '@turbostream/providers';
import type { RedisClient } from '@turbostream/redis';

/** One entry of a stream's Redis stream, as ingest wrote it: a message or a gap. */
export type RecentEntry =
  | { id: string; kind: 'message'; data: string; receivedAt: number }
  | { id: string; kind: 'gap'; reason: string; downMs: number };

/** One page of a stream read newest first. */
export interface NewestPage {
  /** The valid entries read, newest first. */
  entries: RecentEntry[];
  /** The oldest entry id read (valid or not): the next page starts before it. */
  cursor: string | undefined;
  /** True when the stream holds nothing older. */
  end: boolean;
}

/** Reads up to `count` entries older than `before` (from the newest when undefined), newest first. */
export type ReadNewest = (count: number, before: string | undefined) => Promise<NewestPage>;

/**
 * Reads a stream's entries newest first with `XREVRANGE`. Entries that are
 * neither a valid message nor a valid gap (the windower dead-letters them)
 * are skipped.
 */
export function redisNewest(redis: RedisClient, key: string): ReadNewest {
  return async (count, before) => {
    const raw = (await redis.xrevrange(key, before === undefined ? '+' : `(${before}`, '-', 'COUNT', count)) as [
      string,
      string[],
    ][];
    const entries: RecentEntry[] = [];
    for (const [id, fields] of raw) {
      const parsed = StreamEntryFields.safeParse(fieldsToObject(fields));
      if (!parsed.success) continue;
      const entry = parsed.data;
      entries.push(
        entry.kind === 'message'
          ? { id, kind: 'message', data: entry.data, receivedAt: entry.receivedAt }
          : { id, kind: 'gap', reason: entry.reason, downMs: entry.downMs },
      );
    }
    return { entries, cursor: raw.at(-1)?.[0] ?? before, end: raw.length < count };
  };
}

/** What a question is asked about: the newest messages that fit, as a window, and its prompt. */
export interface RecentSelection {
  /** The entries chosen, oldest first (a window: messages and gaps). */
  window: Window;
  /** The prompt those entries and the question make ({@link buildAskPrompt}), as the provider will send it. */
  prompt: Prompt;
  /** The limits it was rendered with: give the provider the same ones (`AskRequest.limits`). */
  limits: PromptLimits;
  /** Its input tokens, counted as the budgets count them ({@link estimateInputTokens}). */
  inputTokens: number;
  /** True when older entries were left out to fit; false when the stream holds no more. */
  olderLeftOut: boolean;
}

/** Why no message could be chosen: the stream holds none, or the newest alone does not fit the budget. */
export type NothingSelected = { nothing: 'empty' } | { nothing: 'too-big'; newestTokens: number };

export interface SelectOptions {
  streamId: string;
  question: string;
  provider: ProviderId;
  model: string;
  /** Most input tokens the prompt may count (question, fixed text and messages together). */
  maxTokensIn: number;
  /** Per-message cap of the rendering; the window cap is the token budget's. @defaultValue 4096 bytes a message */
  maxMessageBytes?: number;
}

/** A window of entries in stream order, as the renderer takes it (its times from the entry ids). */
export function windowOf(streamId: string, oldestFirst: readonly RecentEntry[]): Window {
  const first = oldestFirst[0]?.id ?? '0-0';
  const last = oldestFirst.at(-1)?.id ?? first;
  const messages: WindowMessage[] = [];
  const gaps: WindowGap[] = [];
  let bytes = 0;
  for (const entry of oldestFirst) {
    if (entry.kind === 'message') {
      messages.push({ id: entry.id, data: entry.data, receivedAt: entry.receivedAt });
      bytes += Buffer.byteLength(entry.data);
    } else {
      gaps.push({ id: entry.id, reason: entry.reason, downMs: entry.downMs });
    }
  }
  return {
    streamId,
    windowId: first,
    firstEntryId: first,
    lastEntryId: last,
    closedBy: 'messages',
    bytes,
    from: entryIdTime(first),
    to: entryIdTime(last),
    messages,
    gaps,
  };
}

/** The first page read; each next one is twice as long. */
const FIRST_PAGE = 128;
/** Never more entries than this, whatever the budget. */
const MAX_ENTRIES = 100_000;

/**
 * The newest entries of a stream whose question prompt fits `maxTokensIn`
 * input tokens: entries are read newest first, in growing pages, until the
 * ones read no longer fit (or the stream holds no more), then the most of the
 * newest that fit are found by halving — each candidate rendered and counted
 * whole, as the provider will send it, with nothing left out by the renderer's
 * limits. A row costs at least a token, so no more than `maxTokensIn` entries
 * are ever read. Nothing when the stream holds no entry, or when not even the
 * newest fits (with the tokens it would need).
 */
export async function selectRecent(
  read: ReadNewest,
  options: SelectOptions,
): Promise<RecentSelection | NothingSelected> {
  const limits: PromptLimits = {
    maxMessageBytes: options.maxMessageBytes ?? DEFAULT_PROMPT_LIMITS.maxMessageBytes,
    maxWindowBytes: Number.MAX_SAFE_INTEGER,
  };
  const newestFirst: RecentEntry[] = [];
  const attempt = (count: number) => {
    const window = windowOf(options.streamId, newestFirst.slice(0, count).reverse());
    const prompt = buildAskPrompt(options.question, window, limits);
    const inputTokens = estimateInputTokens(options.provider, options.model, [prompt.system, prompt.user]);
    const fits = inputTokens <= options.maxTokensIn && showsEveryEntry(prompt, window);
    return { fits, selection: { window, prompt, limits, inputTokens, olderLeftOut: false } };
  };
  const cap = Math.min(MAX_ENTRIES, Math.max(1, options.maxTokensIn));
  let exhausted = false;
  let cursor: string | undefined;
  let page = FIRST_PAGE;
  // Read until what was read no longer fits, the stream has no more, or no more could ever fit.
  for (;;) {
    const next = await read(Math.min(page, cap - newestFirst.length), cursor);
    newestFirst.push(...next.entries);
    cursor = next.cursor;
    exhausted = next.end;
    if (exhausted || newestFirst.length >= cap || !attempt(newestFirst.length).fits) break;
    page *= 2;
  }
  if (newestFirst.length === 0) return { nothing: 'empty' };
  const all = attempt(newestFirst.length);
  if (all.fits) return { ...all.selection, olderLeftOut: !exhausted };
  // The largest count that fits, between 0 (fits: nothing) and all (does not).
  let fits = 0;
  let over = newestFirst.length;
  let best: RecentSelection | undefined;
  while (over - fits > 1) {
    const count = Math.floor((fits + over) / 2);
    const tried = attempt(count);
    if (tried.fits) {
      fits = count;
      best = tried.selection;
    } else {
      over = count;
    }
  }
  if (!best) return { nothing: 'too-big', newestTokens: attempt(1).selection.inputTokens };
  return { ...best, olderLeftOut: true };
}

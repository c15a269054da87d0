import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { STREAM_ID_PATTERN, type Severity } from '@turbostream/contracts';
import { z } from 'zod';
import { type CorpusFeed, type CorpusMessage, type Incident, minSeverityOf } from './corpus.js';
import { type CorpusProblem, issuesToProblems } from './problems.js';

/** The window limits of a labelled file that gives none (or only some). */
export const DEFAULT_FILE_WINDOW = { maxMessages: 50, maxBytes: 262_144, maxSeconds: 60 } as const;
/** The instructions of a labelled file that gives none: streams.yaml's default. */
export const DEFAULT_FILE_INSTRUCTIONS = 'Alert on anything unusual: outliers, sudden changes, errors.';
/** Messages without a time are spaced this far apart (ms) … */
export const FILE_TIME_STEP_MS = 100;
/** … from this time when no message of the file has one: 2026-01-01T00:00:00.000Z. */
export const FILE_DEFAULT_START = Date.UTC(2026, 0, 1);
/** The kind of an incident whose lines give none. */
export const DEFAULT_INCIDENT_KIND = 'labelled';

const SEVERITY_ERROR = 'expected info, warning or critical';
const severity = z.enum(['info', 'warning', 'critical'], { error: SEVERITY_ERROR });

const positiveInt = (what: string, max: number) =>
  z
    .number({ error: `expected ${what}` })
    .int({ error: `expected ${what}` })
    .positive({ error: `expected ${what} above 0` })
    .max(max, { error: `expected ${what} of at most ${max}` });

/** The optional first line: `{"corpus": {…}}`. Limits as streams.yaml's `window`. */
const CorpusLine = z.strictObject({
  corpus: z.strictObject(
    {
      name: z
        .string({ error: 'expected a stream id: 1-64 characters of a-z, 0-9, _ or -' })
        .regex(STREAM_ID_PATTERN, { error: 'expected a stream id: 1-64 characters of a-z, 0-9, _ or -' })
        .optional(),
      description: z.string({ error: 'expected text' }).optional(),
      instructions: z
        .string({ error: 'expected the instructions (text)' })
        .trim()
        .min(1, { error: 'expected the instructions (text)' })
        .optional(),
      format: z.enum(['json', 'text'], { error: 'expected json or text' }).optional(),
      window: z
        .strictObject(
          {
            maxMessages: positiveInt('a message count', 100_000).optional(),
            maxBytes: positiveInt('a size in bytes', 64 * 1024 * 1024).optional(),
            maxSeconds: z
              .number({ error: 'expected a number of seconds' })
              .positive({ error: 'expected a number of seconds above 0' })
              .max(86_400, { error: 'expected at most 86400 seconds' })
              .optional(),
          },
          { error: 'expected { maxMessages, maxBytes, maxSeconds }' },
        )
        .optional(),
    },
    { error: 'expected { name, description, instructions, format, window }' },
  ),
});

const ID_ERROR = 'expected a message id (text, or a whole number)';
const TIME_ERROR = 'expected epoch milliseconds (an integer) or an ISO 8601 time with Z or an offset';

/** One message line. */
const MessageLine = z.strictObject({
  id: z
    .union(
      [
        z.string({ error: ID_ERROR }).trim().min(1, { error: ID_ERROR }).max(256, { error: ID_ERROR }),
        z.number({ error: ID_ERROR }).int({ error: ID_ERROR }).nonnegative({ error: ID_ERROR }),
      ],
      { error: ID_ERROR },
    )
    .transform(String)
    .optional(),
  at: z
    .union(
      [
        z
          .number({ error: TIME_ERROR })
          .int({ error: TIME_ERROR })
          .nonnegative({ error: TIME_ERROR })
          .max(8.64e15, { error: TIME_ERROR }),
        z.iso.datetime({ offset: true, error: TIME_ERROR }),
      ],
      { error: TIME_ERROR },
    )
    .transform((value) => (typeof value === 'number' ? value : Date.parse(value)))
    .optional(),
  /** Required: a line without it is reported before this schema runs. */
  data: z.unknown().optional(),
  label: z
    .strictObject(
      {
        incident: z
          .string({ error: 'expected an incident id (text)' })
          .trim()
          .min(1, { error: 'expected an incident id (text)' }),
        severity,
        kind: z.string({ error: 'expected text' }).trim().min(1, { error: 'expected text' }).optional(),
        description: z.string({ error: 'expected text' }).optional(),
      },
      { error: 'expected { incident, severity, kind?, description? }' },
    )
    .optional(),
});
type MessageLine = z.infer<typeof MessageLine>;

interface ParsedLine extends MessageLine {
  line: number;
}

export interface CorpusFileResult {
  /** The feed; `undefined` whenever there is a problem (a file with a problem is not used at all). */
  feed: CorpusFeed | undefined;
  problems: CorpusProblem[];
}

/** Reads and checks the user's labelled file (JSON lines; format in libs/eval/README.md and docs/eval.md). */
export function readCorpusFile(path: string): CorpusFileResult {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'a directory' : (code ?? String(error));
    return { feed: undefined, problems: [{ source: path, field: '', message: `cannot be read (${reason})` }] };
  }
  return parseCorpusText(text, path);
}

/**
 * Parses a labelled file's text; `file` names it in problems and gives the feed its default name. Every problem is
 * reported at once, each naming the file, the line and the field.
 */
export function parseCorpusText(text: string, file: string): CorpusFileResult {
  const problems: CorpusProblem[] = [];
  const problem = (line: number, field: string, message: string) =>
    problems.push({ source: `${file}:${line}`, field, message, line });
  let header: z.infer<typeof CorpusLine>['corpus'] | undefined;
  const lines: ParsedLine[] = [];
  let seenContent = false;

  text
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .forEach((raw, index) => {
      const line = index + 1;
      if (raw.trim() === '') return;
      const first = !seenContent;
      seenContent = true;
      let value: unknown;
      try {
        value = JSON.parse(raw);
      } catch (error) {
        problem(line, '', `not JSON: ${(error as Error).message}`);
        return;
      }
      if (!isPlainObject(value)) {
        problem(line, '', 'expected a JSON object: {"data": …}, with "id", "at" and "label" if you like');
        return;
      }
      if ('corpus' in value && !('data' in value)) {
        if (!first) {
          problem(line, 'corpus', 'the {"corpus": …} line must be the first line of the file');
          return;
        }
        const parsed = CorpusLine.safeParse(value, { reportInput: true });
        if (parsed.success) header = parsed.data.corpus;
        else problems.push(...issuesToProblems(parsed.error.issues, file, line));
        return;
      }
      if (!('data' in value)) problem(line, 'data', 'expected the message: any JSON value, or its text');
      const parsed = MessageLine.safeParse(value, { reportInput: true });
      if (!parsed.success) {
        problems.push(...issuesToProblems(parsed.error.issues, file, line));
        return;
      }
      if ('data' in value) lines.push({ ...parsed.data, line });
    });

  if (!seenContent || (lines.length === 0 && problems.length === 0))
    return {
      feed: undefined,
      problems: [{ source: file, field: '', message: 'no messages: expected one JSON object a line, {"data": …}' }],
    };

  const format =
    header?.format ??
    (lines.some((entry) => typeof entry.data === 'string' && !isJsonText(entry.data)) ? 'text' : 'json');
  const messages: CorpusMessage[] = [];
  const firstLineOfId = new Map<string, number>();
  for (const entry of lines) {
    const id = entry.id ?? String(entry.line);
    const earlier = firstLineOfId.get(id);
    if (earlier !== undefined)
      problem(
        entry.line,
        entry.id === undefined ? '' : 'id',
        `duplicate message id ${JSON.stringify(id)} (line ${earlier} has it${entry.id === undefined ? '; a line without an id gets its line number' : ''}): expected each id once`,
      );
    else firstLineOfId.set(id, entry.line);
    const data = messageText(entry.data, format);
    if (data === undefined)
      problem(
        entry.line,
        'data',
        'the corpus is json, and this string is not JSON text: give the JSON value itself, or its text ' +
          '(or set "format": "text" on the {"corpus": …} line)',
      );
    messages.push({ id, at: 0, data: data ?? '' });
  }
  const times = messageTimes(lines, problem);
  times.forEach((at, index) => {
    (messages[index] as CorpusMessage).at = at;
  });
  const incidents = labelledIncidents(lines, messages, problem);

  if (problems.length > 0) return { feed: undefined, problems: sortProblems(problems) };
  return {
    feed: {
      name: header?.name ?? defaultFeedName(file),
      description: header?.description ?? `Labelled messages of ${basename(file)}.`,
      format,
      instructions: header?.instructions ?? DEFAULT_FILE_INSTRUCTIONS,
      window: { ...DEFAULT_FILE_WINDOW, ...header?.window },
      messages,
      incidents,
    },
    problems: [],
  };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isJsonText(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** A message's text: a string as it is (for a json feed it must be JSON text), anything else as its JSON. */
function messageText(data: unknown, format: 'json' | 'text'): string | undefined {
  if (typeof data !== 'string') return JSON.stringify(data);
  if (format === 'json' && !isJsonText(data)) return undefined;
  return data;
}

/**
 * Every message's time: as given, else evenly spaced between the times around it, else {@link FILE_TIME_STEP_MS}
 * after the one before (or before the one after), else from {@link FILE_DEFAULT_START}. Given times must increase.
 */
function messageTimes(
  lines: readonly ParsedLine[],
  problem: (line: number, field: string, message: string) => void,
): number[] {
  const known = lines.flatMap((entry, index) => (entry.at === undefined ? [] : [{ index, at: entry.at }]));
  let increasing = true;
  for (let k = 1; k < known.length; k += 1) {
    const previous = known[k - 1] as (typeof known)[number];
    const current = known[k] as (typeof known)[number];
    if (current.at > previous.at) continue;
    increasing = false;
    problem(
      (lines[current.index] as ParsedLine).line,
      'at',
      `times must increase: ${iso(current.at)} is not after line ${(lines[previous.index] as ParsedLine).line}'s ${iso(previous.at)}`,
    );
  }
  const times = lines.map((entry) => entry.at ?? 0);
  if (!increasing) return times;
  if (known.length === 0) return lines.map((_, index) => FILE_DEFAULT_START + index * FILE_TIME_STEP_MS);

  const firstKnown = known[0] as (typeof known)[number];
  for (let index = 0; index < firstKnown.index; index += 1)
    times[index] = firstKnown.at - (firstKnown.index - index) * FILE_TIME_STEP_MS;
  if ((times[0] as number) < 0)
    problem(
      (lines[0] as ParsedLine).line,
      'at',
      `no time before line ${(lines[firstKnown.index] as ParsedLine).line}'s ${iso(firstKnown.at)} fits the ` +
        `${firstKnown.index} message(s) above it ${FILE_TIME_STEP_MS} ms apart: give them times`,
    );
  for (let k = 1; k < known.length; k += 1) {
    const from = known[k - 1] as (typeof known)[number];
    const to = known[k] as (typeof known)[number];
    const missing = to.index - from.index - 1;
    if (missing === 0) continue;
    if (to.at - from.at < missing + 1) {
      problem(
        (lines[from.index + 1] as ParsedLine).line,
        'at',
        `${missing} message(s) without a time between line ${(lines[from.index] as ParsedLine).line} ` +
          `(${iso(from.at)}) and line ${(lines[to.index] as ParsedLine).line} (${iso(to.at)}), too close for each ` +
          'to get its own millisecond: give them times',
      );
      continue;
    }
    for (let j = 1; j <= missing; j += 1)
      times[from.index + j] = from.at + Math.floor(((to.at - from.at) * j) / (missing + 1));
  }
  const lastKnown = known.at(-1) as (typeof known)[number];
  for (let index = lastKnown.index + 1; index < lines.length; index += 1)
    times[index] = lastKnown.at + (index - lastKnown.index) * FILE_TIME_STEP_MS;
  return times;
}

function iso(at: number): string {
  const date = new Date(at);
  return Number.isNaN(date.getTime()) ? String(at) : date.toISOString();
}

/**
 * The incidents the labels name, in the order first labelled: the messages sharing a `label.incident`, at the
 * lowest severity given on their lines; `kind` and `description` from the first line that gives them (a line that
 * gives another one is a problem).
 */
function labelledIncidents(
  lines: readonly ParsedLine[],
  messages: readonly CorpusMessage[],
  problem: (line: number, field: string, message: string) => void,
): Incident[] {
  interface Draft {
    ids: string[];
    severity: Severity;
    lines: number[];
    kind?: { value: string; line: number };
    description?: { value: string; line: number };
  }
  const drafts = new Map<string, Draft>();
  lines.forEach((entry, index) => {
    const label = entry.label;
    if (label === undefined) return;
    const message = messages[index] as CorpusMessage;
    const draft = drafts.get(label.incident) ?? { ids: [], severity: label.severity, lines: [] };
    drafts.set(label.incident, draft);
    if (!draft.ids.includes(message.id)) draft.ids.push(message.id);
    draft.lines.push(entry.line);
    draft.severity = minSeverityOf(draft.severity, label.severity);
    for (const field of ['kind', 'description'] as const) {
      const value = label[field];
      if (value === undefined) continue;
      const earlier = draft[field];
      if (earlier === undefined) draft[field] = { value, line: entry.line };
      else if (earlier.value !== value)
        problem(
          entry.line,
          `label.${field}`,
          `incident ${JSON.stringify(label.incident)} has ${field} ${JSON.stringify(earlier.value)} on line ` +
            `${earlier.line}: give it once, or the same on every line`,
        );
    }
  });
  return [...drafts].map(([id, draft]) => {
    const first = draft.lines[0] as number;
    const last = draft.lines.at(-1) as number;
    return {
      id,
      kind: draft.kind?.value ?? DEFAULT_INCIDENT_KIND,
      description:
        draft.description?.value ??
        `${draft.ids.length} labelled message${draft.ids.length === 1 ? '' : 's'} (line${first === last ? ` ${first}` : `s ${first}–${last}`}).`,
      messageIds: draft.ids,
      minSeverity: draft.severity,
    };
  });
}

/** The default feed name: the file's name without its extension, as a stream id (`My Feed.jsonl` → `my-feed`). */
export function defaultFeedName(file: string): string {
  const name = basename(file)
    .replace(/\.(jsonl|ndjson|json|txt)$/i, '')
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 64);
  return name === '' ? 'corpus' : name;
}

function sortProblems(problems: CorpusProblem[]): CorpusProblem[] {
  return problems
    .map((problem, order) => ({ problem, order }))
    .sort((left, right) => (left.problem.line ?? 0) - (right.problem.line ?? 0) || left.order - right.order)
    .map((entry) => entry.problem);
}

/**
 * A feed as a labelled file (the header line, then one line a message, each labelled message with its incident at
 * the incident's minSeverity; kind and description on the incident's first line): what {@link parseCorpusText}
 * reads back to the same feed. A JSON message is written as its value when that gives its text back byte for byte,
 * else as its text. Throws when a message belongs to two incidents (a line has one label).
 */
export function formatCorpusFile(feed: CorpusFeed): string {
  const labels = new Map<string, Incident>();
  for (const incident of feed.incidents)
    for (const id of incident.messageIds) {
      const other = labels.get(id);
      if (other !== undefined && other !== incident)
        throw new Error(`message ${id} belongs to incidents ${other.id} and ${incident.id}: a line has one label`);
      labels.set(id, incident);
    }
  const described = new Set<string>();
  const header = {
    corpus: {
      name: feed.name,
      description: feed.description,
      instructions: feed.instructions,
      format: feed.format,
      window: feed.window,
    },
  };
  const lines = feed.messages.map((message) => {
    const incident = labels.get(message.id);
    const line: Record<string, unknown> = { id: message.id, at: message.at, data: lineData(message.data, feed.format) };
    if (incident !== undefined) {
      const first = !described.has(incident.id);
      described.add(incident.id);
      line.label = {
        incident: incident.id,
        severity: incident.minSeverity,
        ...(first ? { kind: incident.kind, description: incident.description } : {}),
      };
    }
    return JSON.stringify(line);
  });
  return `${[JSON.stringify(header), ...lines].join('\n')}\n`;
}

function lineData(text: string, format: 'json' | 'text'): unknown {
  if (format === 'text') return text;
  try {
    const value: unknown = JSON.parse(text);
    // A JSON string value stays text: a string in a json corpus's line is read as the message's JSON text.
    return typeof value !== 'string' && JSON.stringify(value) === text ? value : text;
  } catch {
    return text;
  }
}

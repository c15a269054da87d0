import { existsSync, readFileSync } from 'node:fs';
import {
  formatTarget,
  modelVariable,
  normalizeProviderId,
  partialSamples,
  providerChoices,
  PROVIDER_IDS,
  type AnalysisTarget,
  type ProviderId,
} from '@turbostream/contracts';
import { type Document, isMap, isSeq, LineCounter, parseDocument } from 'yaml';
import { issuesToProblems } from './problems.js';
import { PROVIDER_VARIABLES } from './provider-settings.js';
import { StreamSchema, StreamsFileSchema, type StreamInput } from './streams-schema.js';
import type { ConfigProblem, ProviderSettings, StreamConfig } from './types.js';

export interface StreamsResult {
  streams: StreamConfig[];
  problems: ConfigProblem[];
  warnings: ConfigProblem[];
}

function isProviderId(value: string): value is ProviderId {
  return (PROVIDER_IDS as readonly string[]).includes(value);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The entries under `streams:`, whatever they are (empty when there is no such list). */
function rawStreams(document: unknown): unknown[] {
  return isRecord(document) && Array.isArray(document.streams) ? document.streams : [];
}

/**
 * A problem for every stream id used before, read from the raw document so
 * that streams with other problems (even an invalid id) still count.
 */
export function duplicateIdProblems(document: unknown, fileName: string): ConfigProblem[] {
  const firstIndex = new Map<string, number>();
  const problems: ConfigProblem[] = [];
  rawStreams(document).forEach((stream, index) => {
    const id = isRecord(stream) ? stream.id : undefined;
    if (typeof id !== 'string' && typeof id !== 'number') return;
    const first = firstIndex.get(String(id));
    if (first === undefined) firstIndex.set(String(id), index);
    else
      problems.push({
        source: fileName,
        field: `streams[${index}].id`,
        message:
          `duplicate stream id ${JSON.stringify(String(id))} (streams[${first}] has it too): expected ` +
          `each id once`,
      });
  });
  return problems;
}

/** The streams that are valid on their own, with their positions in the file. */
function validStreams(document: unknown): Array<{ index: number; stream: StreamInput }> {
  return rawStreams(document).flatMap((raw, index) => {
    const parsed = StreamSchema.safeParse(raw);
    return parsed.success ? [{ index, stream: parsed.data }] : [];
  });
}

/** What target resolution needs to know: the providers here and the default one. */
interface TargetContext {
  fileName: string;
  providers: Record<ProviderId, ProviderSettings>;
  defaultProvider: ProviderId | undefined;
}

/**
 * Resolves one `{ provider, model }` into a target, with the default provider
 * (when one is given) and the provider's default model; or says which field is
 * wrong and why. `nameIt` is how to name the missing one where it is read:
 * `name one here` in the streams file, `name one (--model M)` on the command line.
 * The one resolver of targets: the streams file and `turbostream streams set` use it.
 */
export function resolveTarget(
  input: { provider?: string | undefined; model?: string | undefined },
  defaults: {
    providers: Record<ProviderId, ProviderSettings>;
    defaultProvider?: ProviderId | undefined;
    nameIt?: string;
  },
): { target: AnalysisTarget } | { field: 'provider' | 'model'; message: string } {
  const nameIt = defaults.nameIt ?? 'name one here';
  const named = input.provider === undefined ? undefined : normalizeProviderId(input.provider);
  if (named !== undefined && !isProviderId(named))
    return {
      field: 'provider',
      message: `unknown provider ${JSON.stringify(input.provider)}: expected one of ${providerChoices()}`,
    };
  const provider = named ?? defaults.defaultProvider;
  if (provider === undefined)
    return { field: 'provider', message: `no provider: ${nameIt} or set DEFAULT_AI_PROVIDER` };
  const model = input.model || defaults.providers[provider].model;
  if (!model)
    return { field: 'model', message: `no model for ${provider}: ${nameIt} or set ${modelVariable(provider)}` };
  return { target: { provider, model } };
}

/**
 * A target of the streams file at `at`, or the problem that prevents it; a provider not configured here is a warning.
 */
function streamTarget(
  input: { provider?: string | undefined; model?: string | undefined },
  at: string,
  useDefault: boolean,
  { fileName, providers, defaultProvider }: TargetContext,
): { target?: AnalysisTarget; problem?: ConfigProblem; warning?: ConfigProblem } {
  const resolved = resolveTarget(input, { providers, defaultProvider: useDefault ? defaultProvider : undefined });
  if (!('target' in resolved))
    return { problem: { source: fileName, field: `${at}.${resolved.field}`, message: resolved.message } };
  const { target } = resolved;
  if (providers[target.provider].configured) return { target };
  const message =
    `${target.provider} is not configured here ` +
    `(set ${PROVIDER_VARIABLES[target.provider].required.join(', ')}); its windows wait for an analyzer that has it`;
  return { target, warning: { source: fileName, field: `${at}.provider`, message } };
}

/** A valid stream's configuration: its own target first, then its comparison targets. */
function resolveStream(stream: StreamInput, index: number, context: TargetContext): StreamsResult {
  const at = `streams[${index}]`;
  const problems: ConfigProblem[] = [];
  const warnings: ConfigProblem[] = [];
  const targets: AnalysisTarget[] = [];
  const sampled: [AnalysisTarget, number][] = [];
  const wanted = [
    { input: stream.analysis, where: `${at}.analysis`, useDefault: true, sample: 1 },
    ...stream.compare.map((input, compareIndex) => ({
      input,
      where: `${at}.compare[${compareIndex}]`,
      useDefault: false,
      sample: input.sample,
    })),
  ];
  for (const { input, where, useDefault, sample } of wanted) {
    const { target, problem, warning } = streamTarget(input, where, useDefault, context);
    if (problem) problems.push(problem);
    if (warning) warnings.push(warning);
    if (!target) continue;
    if (targets.some((other) => other.provider === target.provider && other.model === target.model)) {
      problems.push({
        source: context.fileName,
        field: where,
        message: `${formatTarget(target)} is already a target of this stream`,
      });
    } else {
      targets.push(target);
      sampled.push([target, sample]);
    }
  }
  const samples = partialSamples(sampled);
  const streams =
    targets.length > 0
      ? [
          {
            id: stream.id,
            source: stream.source,
            window: stream.window,
            targets,
            ...(samples ? { samples } : {}),
            instructions: stream.analysis.instructions,
            ...(stream.budget ? { budget: stream.budget } : {}),
          },
        ]
      : [];
  return { streams, problems, warnings };
}

function yamlSyntaxProblems(document: Document.Parsed, lineCounter: LineCounter, fileName: string): ConfigProblem[] {
  return document.errors.map((error) => {
    const position = error.pos[0] !== undefined ? lineCounter.linePos(error.pos[0]) : undefined;
    return {
      source: position ? `${fileName}:${position.line}:${position.col}` : fileName,
      field: '',
      message: `not valid YAML: ${error.message.split('\n')[0]}`,
    };
  });
}

/**
 * Parses and validates a streams file's text, resolving each stream's targets.
 * Every problem is reported in one pass: schema problems, duplicate ids (even
 * of invalid streams) and the targets of every stream that is valid on its own.
 */
export function parseStreams(
  text: string,
  fileName: string,
  providers: Record<ProviderId, ProviderSettings>,
  defaultProvider: ProviderId | undefined,
): StreamsResult {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, uniqueKeys: true });
  if (document.errors.length > 0)
    return { streams: [], warnings: [], problems: yamlSyntaxProblems(document, lineCounter, fileName) };
  if (!isMap(document.contents) && !isSeq(document.contents)) {
    return {
      streams: [],
      warnings: [],
      problems: [
        { source: fileName, field: 'streams', message: 'expected a mapping with a list of streams under `streams:`' },
      ],
    };
  }
  const raw: unknown = document.toJS();
  const parsed = StreamsFileSchema.safeParse(raw, { reportInput: true });
  const result: StreamsResult = {
    streams: [],
    problems: [
      ...(parsed.success ? [] : issuesToProblems(parsed.error.issues, () => fileName)),
      ...duplicateIdProblems(raw, fileName),
    ],
    warnings: [],
  };
  const valid = parsed.success ? parsed.data.streams.map((stream, index) => ({ index, stream })) : validStreams(raw);
  for (const { stream, index } of valid) {
    const resolved = resolveStream(stream, index, { fileName, providers, defaultProvider });
    result.streams.push(...resolved.streams);
    result.problems.push(...resolved.problems);
    result.warnings.push(...resolved.warnings);
  }
  return result;
}

/** Reads the streams file; a missing default file is not an error (`turbostream up` then runs the demo). */
export function readStreamsFile(
  path: string,
  fileName: string,
  explicit: boolean,
  providers: Record<ProviderId, ProviderSettings>,
  defaultProvider: ProviderId | undefined,
): StreamsResult & { exists: boolean } {
  if (!existsSync(path)) {
    const problems = explicit
      ? [{ source: 'TURBOSTREAM_STREAMS_FILE', field: '', message: `${fileName} does not exist` }]
      : [];
    return { exists: false, streams: [], problems, warnings: [] };
  }
  return { exists: true, ...parseStreams(readFileSync(path, 'utf8'), fileName, providers, defaultProvider) };
}

export type { StreamInput };

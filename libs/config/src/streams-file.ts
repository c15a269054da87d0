import { existsSync, readFileSync } from 'node:fs';
import { normalizeProviderId, PROVIDER_IDS, type AnalysisTarget, type ProviderId } from '@turbostream/contracts';
import { isMap, isSeq, LineCounter, parseDocument } from 'yaml';
import { issuesToProblems } from './problems.js';
import { modelVariable, PROVIDER_VARIABLES } from './provider-settings.js';
import { StreamsFileSchema, type StreamInput } from './streams-schema.js';
import type { ConfigProblem, ProviderSettings, StreamConfig } from './types.js';

export interface StreamsResult {
  streams: StreamConfig[];
  problems: ConfigProblem[];
  warnings: ConfigProblem[];
}

function isProviderId(value: string): value is ProviderId {
  return (PROVIDER_IDS as readonly string[]).includes(value);
}

/** Parses and validates a streams file's text, resolving each stream's targets. */
export function parseStreams(
  text: string,
  fileName: string,
  providers: Record<ProviderId, ProviderSettings>,
  defaultProvider: ProviderId | undefined,
): StreamsResult {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, uniqueKeys: true });
  if (document.errors.length > 0) {
    return {
      streams: [],
      warnings: [],
      problems: document.errors.map((error) => {
        const position = error.pos[0] !== undefined ? lineCounter.linePos(error.pos[0]) : undefined;
        return { source: position ? `${fileName}:${position.line}:${position.col}` : fileName, field: '', message: `not valid YAML: ${error.message.split('\n')[0]}` };
      }),
    };
  }
  if (!isMap(document.contents) && !isSeq(document.contents)) {
    return { streams: [], warnings: [], problems: [{ source: fileName, field: 'streams', message: 'expected a mapping with a list of streams under `streams:`' }] };
  }
  const parsed = StreamsFileSchema.safeParse(document.toJS(), { reportInput: true });
  if (!parsed.success) return { streams: [], warnings: [], problems: issuesToProblems(parsed.error.issues, () => fileName) };

  const problems: ConfigProblem[] = [];
  const warnings: ConfigProblem[] = [];
  const seen = new Set<string>();
  const streams: StreamConfig[] = [];
  parsed.data.streams.forEach((stream, index) => {
    const at = `streams[${index}]`;
    if (seen.has(stream.id)) problems.push({ source: fileName, field: `${at}.id`, message: `duplicate stream id ${JSON.stringify(stream.id)}: ids must be unique` });
    seen.add(stream.id);
    const targets: AnalysisTarget[] = [];
    const main = resolveTarget(stream.analysis, `${at}.analysis`, true);
    if (main) targets.push(main);
    stream.compare.forEach((entry, compareIndex) => {
      const target = resolveTarget(entry, `${at}.compare[${compareIndex}]`, false);
      if (!target) return;
      if (targets.some((other) => other.provider === target.provider && other.model === target.model)) {
        problems.push({ source: fileName, field: `${at}.compare[${compareIndex}]`, message: `${target.provider}/${target.model} is already a target of this stream` });
      } else targets.push(target);
    });
    streams.push({ id: stream.id, source: stream.source, window: stream.window, targets, instructions: stream.analysis.instructions });
  });
  return { streams, problems, warnings };

  function resolveTarget(input: { provider?: string | undefined; model?: string | undefined }, at: string, useDefault: boolean): AnalysisTarget | undefined {
    const named = input.provider === undefined ? undefined : normalizeProviderId(input.provider);
    if (named !== undefined && !isProviderId(named)) {
      problems.push({ source: fileName, field: `${at}.provider`, message: `unknown provider ${JSON.stringify(input.provider)}: expected one of ${PROVIDER_IDS.join(', ')} (or grok)` });
      return undefined;
    }
    const provider = named ?? (useDefault ? defaultProvider : undefined);
    if (provider === undefined) {
      problems.push({ source: fileName, field: `${at}.provider`, message: 'no provider: name one here or set DEFAULT_AI_PROVIDER' });
      return undefined;
    }
    const model = input.model ?? providers[provider].model;
    if (model === undefined) {
      problems.push({ source: fileName, field: `${at}.model`, message: `no model for ${provider}: name one here or set ${modelVariable(provider)}` });
      return undefined;
    }
    if (!providers[provider].configured) {
      warnings.push({
        source: fileName,
        field: `${at}.provider`,
        message: `${provider} is not configured here (set ${PROVIDER_VARIABLES[provider].required.join(', ')}); its windows wait for an analyzer that has it`,
      });
    }
    return { provider, model };
  }
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
    const problems = explicit ? [{ source: 'TURBOSTREAM_STREAMS_FILE', field: '', message: `${fileName} does not exist` }] : [];
    return { exists: false, streams: [], problems, warnings: [] };
  }
  return { exists: true, ...parseStreams(readFileSync(path, 'utf8'), fileName, providers, defaultProvider) };
}

export type { StreamInput };

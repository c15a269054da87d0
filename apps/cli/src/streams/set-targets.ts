/**
 * Switching a stream's targets while running: what `turbostream streams set` does and what the dashboard's
 * `POST /api/streams/targets` does, one function for both. The checks (the stream is in the streams file, the provider
 * is named and known, a model is named or configured, a comparison target's `@share` is a share) throw a
 * {@link UsageError} whose message both show as it is; the override goes to Redis (`writeTargetOverride`), read by the
 * windowers from the next window on.
 */
import { resolveTarget as resolveConfigTarget, type StreamConfig, type TurboConfig } from '@turbostream/config';
import {
  type AnalysisTarget,
  formatTargets,
  partialSamples,
  SampleRate,
  sampleOf,
  type TargetSamples,
} from '@turbostream/contracts';
import { analysisQueueName } from '@turbostream/queue';
import {
  clearTargetOverride,
  type KeyLayout,
  liveAnalyzers,
  type RedisClient,
  readTargetOverrides,
  writeTargetOverride,
} from '@turbostream/redis';
import { UsageError } from '../runtime/load.js';

/** `@0.1` at the end of a comparison target: the share of windows it analyses (a model name may hold other `@`). */
const SAMPLE_SUFFIX = /@((?:0|1)?\.\d+|[01](?:\.\d+)?)$/;

/** `provider`, `provider/model` or `provider/model@0.1` (the share of windows it analyses; default every window). */
export function parseTarget(
  text: string,
  config: TurboConfig,
  what: string,
): { target: AnalysisTarget; sample: number } {
  const suffix = SAMPLE_SUFFIX.exec(text);
  const bare = suffix ? text.slice(0, suffix.index) : text;
  const slash = bare.indexOf('/');
  const providerText = slash === -1 ? bare : bare.slice(0, slash);
  const model = slash === -1 ? undefined : bare.slice(slash + 1);
  const target = resolveTarget(providerText, model, config, what);
  if (!suffix) return { target, sample: 1 };
  const sample = SampleRate.safeParse(Number(suffix[1]));
  if (!sample.success)
    throw new UsageError(`${what} ${text}: ${sample.error.issues[0]?.message} (got ${JSON.stringify(suffix[1])})`);
  return { target, sample: sample.data };
}

function resolveTarget(
  providerText: string,
  model: string | undefined,
  config: TurboConfig,
  what: string,
): AnalysisTarget {
  const nameIt = `name one (${what === '--provider' ? '--model M' : `${providerText}/MODEL`})`;
  const resolved = resolveConfigTarget({ provider: providerText, model }, { providers: config.providers, nameIt });
  if (!('target' in resolved)) throw new UsageError(`${what}: ${resolved.message}`);
  return resolved.target;
}

/** Stream `id` of the streams file, or a UsageError naming the known ones. */
export function findStream(config: TurboConfig, id: string): StreamConfig {
  const stream = config.streams.find((candidate) => candidate.id === id);
  if (!stream) {
    const known = config.streams.map((candidate) => candidate.id).join(', ') || '(none: no streams file)';
    throw new UsageError(
      `no stream ${JSON.stringify(id)} in ${config.streamsFile ?? 'streams.yaml'}; known streams: ${known}`,
    );
  }
  return stream;
}

export interface SetTargetsRequest {
  /** The stream's id. */
  id: string;
  /** The stream's own target: provider (required unless `reset`) and model (else `<PROVIDER>_MODEL`). */
  provider?: string | undefined;
  model?: string | undefined;
  /** Comparison targets (`P`, `P/M`, `P/M@0.1`); none given keeps the current ones, with their samples. */
  compare: readonly string[];
  /** No comparison target at all. */
  noCompare: boolean;
  /** Back to the streams file's targets. */
  reset: boolean;
}

export interface SetTargetsResult {
  /** The targets from the next window on, and their samples. */
  targets: AnalysisTarget[];
  samples: TargetSamples | undefined;
  /** What was done, worded for a person (`stream x: from the next window on, analysed by …`). */
  message: string;
  /** Targets whose provider no live analyzer serves right now (their windows wait). */
  warnings: string[];
}

/**
 * Sets (or resets) the targets of a stream from the next window on, as `turbostream streams set` does; `setBy` names
 * who did (`user@host`, `dashboard (…)`). Throws a {@link UsageError} when the request is not valid: nothing is
 * written then.
 */
export async function setStreamTargetsIn(
  context: { redis: RedisClient; keys: KeyLayout; config: TurboConfig; setBy: string; now?: () => number },
  request: SetTargetsRequest,
): Promise<SetTargetsResult> {
  const { redis, keys, config } = context;
  const stream = findStream(config, request.id);
  if (request.reset) {
    const had = await clearTargetOverride(redis, keys, stream.id);
    return {
      targets: [...stream.targets],
      samples: stream.samples,
      message:
        `stream ${stream.id}: ${had ? 'back to' : 'already on'} the streams file's ` +
        `targets: ${formatTargets(stream.targets, stream.samples)}`,
      warnings: [],
    };
  }
  if (!request.provider)
    throw new UsageError('streams set needs --provider P (or --reset)\nRun `turbostream streams --help`.');
  const main = resolveTarget(request.provider, request.model || undefined, config, '--provider');
  const compare = request.noCompare
    ? []
    : request.compare.length > 0
      ? request.compare.map((text) => parseTarget(text, config, '--compare'))
      : undefined;
  const override = (await readTargetOverrides(redis, keys)).get(stream.id);
  const current = override?.targets ?? stream.targets;
  const currentSamples = override ? override.samples : stream.samples;
  // Comparison targets kept from before keep their samples; those given here analyse every window unless `@share`.
  const chosen = compare ?? current.slice(1).map((target) => ({ target, sample: sampleOf(currentSamples, target) }));
  const kept = chosen.filter(({ target }) => target.provider !== main.provider || target.model !== main.model);
  const targets = [main, ...kept.map(({ target }) => target)];
  const samples = partialSamples(kept.map(({ target, sample }) => [target, sample]));
  await writeTargetOverride(redis, keys, stream.id, targets, context.setBy, samples);
  const warnings: string[] = [];
  const now = (context.now ?? Date.now)();
  for (const target of targets) {
    if ((await liveAnalyzers(redis, keys, target.provider, now)).length === 0)
      warnings.push(
        `no live analyzer serves ${target.provider} right now: its windows wait ` +
          `in ${analysisQueueName(target.provider)} until one does`,
      );
  }
  return {
    targets,
    samples,
    message:
      `stream ${stream.id}: from the next window on, analysed by ${formatTargets(targets, samples)} ` +
      `(was ${formatTargets(current, currentSamples)})`,
    warnings,
  };
}

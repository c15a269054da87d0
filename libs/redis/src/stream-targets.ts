import { type AnalysisTarget, StreamTargetOverride, type TargetSamples } from '@turbostream/contracts';
import type { RedisClient } from './connection.js';
import type { KeyLayout } from './keys.js';

/** The targets set while running for a stream, if any (an unreadable override is reported, not ignored). */
export async function readTargetOverride(
  redis: RedisClient,
  keys: KeyLayout,
  streamId: string,
): Promise<StreamTargetOverride | undefined> {
  const json = await redis.hget(keys.streamTargets, streamId);
  return json === null ? undefined : parseTargetOverride(keys, streamId, json);
}

/**
 * A stream's override as stored in {@link KeyLayout.streamTargets}; throws, saying how to clear it, when it is not
 * valid (for readers that fetch the whole hash at once).
 */
export function parseTargetOverride(keys: KeyLayout, streamId: string, json: string): StreamTargetOverride {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw new Error(
      `the target override of stream ${streamId} in ${keys.streamTargets} is not JSON; run \`turbostream streams ` +
        `set ${streamId} --reset\``,
    );
  }
  const parsed = StreamTargetOverride.safeParse(value);
  if (!parsed.success)
    throw new Error(
      `the target override of stream ${streamId} is invalid (${parsed.error.issues[0]?.message}); run ` +
        `\`turbostream streams set ${streamId} --reset\``,
    );
  return parsed.data;
}

/** Every override, by stream id. */
export async function readTargetOverrides(
  redis: RedisClient,
  keys: KeyLayout,
): Promise<Map<string, StreamTargetOverride>> {
  const all = await redis.hgetall(keys.streamTargets);
  const result = new Map<string, StreamTargetOverride>();
  for (const [streamId, json] of Object.entries(all)) {
    try {
      const parsed = StreamTargetOverride.safeParse(JSON.parse(json));
      if (parsed.success) result.set(streamId, parsed.data);
    } catch {
      // reported when the windower reads it (parseTargetOverride)
    }
  }
  return result;
}

/** Sets a stream's targets (and the samples of its comparison targets, if any) from the next window on. */
export async function writeTargetOverride(
  redis: RedisClient,
  keys: KeyLayout,
  streamId: string,
  targets: AnalysisTarget[],
  setBy: string,
  samples?: TargetSamples,
): Promise<StreamTargetOverride> {
  const override: StreamTargetOverride = StreamTargetOverride.parse({
    v: 1,
    targets,
    ...(samples ? { samples } : {}),
    setAt: new Date().toISOString(),
    setBy,
  });
  await redis.hset(keys.streamTargets, streamId, JSON.stringify(override));
  return override;
}

/** Goes back to the streams file's targets. True when there was an override. */
export async function clearTargetOverride(redis: RedisClient, keys: KeyLayout, streamId: string): Promise<boolean> {
  return (await redis.hdel(keys.streamTargets, streamId)) > 0;
}

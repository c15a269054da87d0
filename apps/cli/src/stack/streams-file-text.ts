import type { StreamConfig } from '@turbostream/config';

/**
 * The streams file of a stream configuration, so processes started apart
 * (`turbostream stack`) watch exactly what `turbostream up` watches in one.
 * JSON is YAML, so the configuration loader reads it as any streams.yaml.
 */
export function streamsFileText(streams: readonly StreamConfig[], comment: string): string {
  const entries = streams.map((stream) => {
    const [target, ...compare] = stream.targets;
    return {
      id: stream.id,
      source: stream.source,
      window: stream.window,
      analysis: { ...target, instructions: stream.instructions },
      compare,
    };
  });
  return `# ${comment}\n${JSON.stringify({ streams: entries }, null, 2)}\n`;
}

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type StreamConfig } from '@turbostream/config';
import { describe, expect, it } from 'vitest';
import { demoStream } from '../demo/demo-stream.js';
import { streamsFileText } from './streams-file-text.js';

function loadStreams(text: string): StreamConfig[] {
  const dir = mkdtempSync(join(tmpdir(), 'turbostream-stack-'));
  const file = join(dir, 'streams.yaml');
  writeFileSync(file, text);
  const result = loadConfig({ env: { TURBOSTREAM_STREAMS_FILE: file }, cwd: dir, envFile: false });
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.config.streams;
}

describe('streamsFileText', () => {
  it('writes the demo stream so that the loader reads back exactly what `up` watches', () => {
    const stream = demoStream('ws://127.0.0.1:41234');
    expect(loadStreams(streamsFileText([stream], 'generated'))).toEqual([stream]);
  });

  it('keeps comparison targets after the stream’s own target', () => {
    const stream: StreamConfig = {
      ...demoStream('ws://127.0.0.1:41234'),
      targets: [
        { provider: 'heuristic', model: 'mad' },
        { provider: 'openai', model: 'gpt-test' },
      ],
    };
    const text = streamsFileText([stream], 'generated');
    expect(text.startsWith('# generated\n')).toBe(true);
    const [loaded] = loadStreams(text);
    expect(loaded?.targets).toEqual(stream.targets);
  });
});

import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveProviders } from './provider-settings.js';
import { EnvSchema } from './env-schema.js';
import {
  canonicalJson,
  describeDiff,
  diffOfFields,
  diffStreams,
  StreamsFileWatch,
  type StreamsReload,
  streamsFileName,
} from './streams-watch.js';
import type { StreamConfig } from './types.js';

const providers = resolveProviders(EnvSchema.parse({}));

function stream(id: string, overrides: Partial<StreamConfig> = {}): StreamConfig {
  return {
    id,
    source: { url: `ws://127.0.0.1:1/${id}`, subscribe: [], headers: {}, format: 'json' },
    window: { maxMessages: 200, maxBytes: 262_144, maxSeconds: 10 },
    targets: [{ provider: 'heuristic', model: 'mad' }],
    instructions: 'Alert on anything unusual: outliers, sudden changes, errors.',
    ...overrides,
  };
}

function yaml(streams: ReadonlyArray<{ id: string; maxMessages?: number | string }>): string {
  const entry = ({ id, maxMessages = 200 }: { id: string; maxMessages?: number | string }) =>
    [
      `  - id: ${id}`,
      `    source: { url: ws://127.0.0.1:1/${id} }`,
      `    window: { maxMessages: ${JSON.stringify(maxMessages)} }`,
      '    analysis: { provider: heuristic }',
    ].join('\n');
  return ['streams:', ...streams.map(entry), ''].join('\n');
}

describe('diffStreams', () => {
  it('names streams added and removed, and the fields changed in the others', () => {
    const before = [stream('a'), stream('b'), stream('c')];
    const after = [
      stream('a', { window: { maxMessages: 50, maxBytes: 262_144, maxSeconds: 10 } }),
      stream('c', {
        source: {
          url: 'ws://127.0.0.1:2/c',
          subscribe: ['hi'],
          headers: { Authorization: 'Bearer secret' },
          format: 'json',
        },
        instructions: 'new',
      }),
      stream('d'),
    ];
    const diff = diffStreams(before, after);
    expect(diff.added.map((item) => item.id)).toEqual(['d']);
    expect(diff.removed.map((item) => item.id)).toEqual(['b']);
    expect(diff.changed.map((change) => [change.id, change.fields])).toEqual([
      ['a', ['window']],
      ['c', ['source', 'instructions']],
    ]);
    const lines = describeDiff(diff).map((line) => line.message);
    expect(lines).toEqual([
      'stream added: d',
      'stream removed: b',
      'window of a changed (maxMessages 200 → 50)',
      'source of c changed (url, subscribe, headers)',
      'instructions of c changed',
    ]);
    expect(lines.join('\n')).not.toContain('secret');
  });

  it('sees no change in a different key order, and describes target changes', () => {
    const reordered = stream('a', {
      source: { format: 'json', headers: { b: '2', a: '1' }, subscribe: [], url: 'ws://127.0.0.1:1/a' },
    });
    expect(
      diffStreams(
        [
          stream('a', {
            source: { url: 'ws://127.0.0.1:1/a', subscribe: [], headers: { a: '1', b: '2' }, format: 'json' },
          }),
        ],
        [reordered],
      ).changed,
    ).toEqual([]);
    expect(canonicalJson({ b: 1, a: { d: 1, c: 2 } })).toBe('{"a":{"c":2,"d":1},"b":1}');
    const diff = diffStreams(
      [stream('a')],
      [
        stream('a', {
          targets: [
            { provider: 'heuristic', model: 'mad' },
            { provider: 'openai', model: 'gpt-x' },
          ],
        }),
      ],
    );
    expect(describeDiff(diff).map((line) => line.message)).toEqual([
      'targets of a changed: heuristic/mad → heuristic/mad, openai/gpt-x',
    ]);
    const compared = (samples?: Record<string, number>) =>
      stream('a', {
        targets: [
          { provider: 'heuristic', model: 'mad' },
          { provider: 'openai', model: 'gpt-x' },
        ],
        ...(samples ? { samples } : {}),
      });
    const sampled = diffStreams([compared()], [compared({ 'openai/gpt-x': 0.1 })]);
    expect(sampled.changed.map((change) => change.fields)).toEqual([['targets']]);
    expect(describeDiff(sampled).map((line) => line.message)).toEqual([
      'targets of a changed: heuristic/mad, openai/gpt-x → heuristic/mad, openai/gpt-x@0.1',
    ]);
  });

  it('keeps only the fields a service applies, with every stream added or removed', () => {
    const diff = diffStreams([stream('a'), stream('b')], [stream('a', { instructions: 'x' }), stream('c')]);
    const ingest = diffOfFields(diff, ['source']);
    expect(ingest.changed).toEqual([]);
    expect(ingest.added.map((item) => item.id)).toEqual(['c']);
    expect(ingest.removed.map((item) => item.id)).toEqual(['b']);
  });

  it('names a file below the working directory relative to it', () => {
    expect(streamsFileName('/srv/app/streams.yaml', '/srv/app')).toBe('streams.yaml');
    expect(streamsFileName('/etc/turbostream/streams.yaml', '/srv/app')).toBe('/etc/turbostream/streams.yaml');
  });
});

describe('StreamsFileWatch', () => {
  const watches: StreamsFileWatch[] = [];
  afterEach(async () => {
    await Promise.all(watches.splice(0).map((watch) => watch.close()));
  });

  /** A watch on `path` that records what it reports and applies every valid change. */
  function watchFile(path: string, running: StreamConfig[], options: { apply?: boolean; pollMs?: number } = {}) {
    const reports: StreamsReload[] = [];
    const watch = new StreamsFileWatch({
      path,
      fileName: 'streams.yaml',
      running,
      providers,
      defaultProvider: undefined,
      debounceMs: 20,
      pollMs: options.pollMs ?? 100,
      onReload: (reload) => {
        reports.push(reload);
        return options.apply ?? true;
      },
    });
    watches.push(watch);
    return { watch, reports };
  }

  const until = async (condition: () => boolean, what: string) => {
    const deadline = Date.now() + 5_000;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };

  it('reports each new content once: applied when valid, rejected whole when not, and valid again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'streams-watch-'));
    const path = join(dir, 'streams.yaml');
    writeFileSync(path, yaml([{ id: 'a' }]));
    const { watch, reports } = watchFile(path, [
      stream('a', { source: { url: 'ws://127.0.0.1:1/a', subscribe: [], headers: {}, format: 'json' } }),
    ]);
    watch.start();
    await watch.check();
    expect(reports.map((report) => report.kind)).toEqual(['unchanged']);

    writeFileSync(path, yaml([{ id: 'a', maxMessages: 50 }, { id: 'b' }]));
    await until(() => reports.length === 2, 'the change');
    const changed = reports[1];
    expect(changed?.kind === 'changed' && describeDiff(changed.diff).map((line) => line.message)).toEqual([
      'stream added: b',
      'window of a changed (maxMessages 200 → 50)',
    ]);
    expect(watch.running.map((item) => item.id)).toEqual(['a', 'b']);

    writeFileSync(path, yaml([{ id: 'a', maxMessages: 'lots' }, { id: 'b' }]));
    await until(() => reports.length === 3, 'the rejection');
    const rejected = reports[2];
    expect(
      rejected?.kind === 'rejected' && rejected.problems.map((problem) => `${problem.source}: ${problem.field}`),
    ).toEqual(['streams.yaml: streams[0].window.maxMessages']);
    expect(watch.running.map((item) => item.id)).toEqual(['a', 'b']);

    utimesSync(path, new Date(), new Date()); // touched, same content
    await new Promise((resolve) => setTimeout(resolve, 300));
    await watch.check();
    expect(reports).toHaveLength(3);

    writeFileSync(path, yaml([{ id: 'a', maxMessages: 50 }, { id: 'b' }]));
    await until(() => reports.length === 4, 'the fix');
    expect(reports[3]).toEqual({ kind: 'unchanged', afterRejection: true });
  });

  it('keeps the running streams when the change is not applied, and reports a removed file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'streams-watch-'));
    const path = join(dir, 'streams.yaml');
    const { watch, reports } = watchFile(path, [], { apply: false });
    watch.start();
    await watch.check();
    expect(reports).toEqual([]); // no file from the start: nothing to say

    writeFileSync(path, yaml([{ id: 'a' }]));
    await until(() => reports.length === 1, 'the file to appear');
    expect(reports[0]?.kind).toBe('changed');
    expect(watch.running).toEqual([]);

    rmSync(path);
    await until(() => reports.length === 2, 'the file to go');
    const gone = reports[1];
    expect(gone?.kind === 'rejected' && gone.problems[0]?.message).toMatch(/does not exist any more/);
  });

  it('sees a ConfigMap-style swap of a ..data symlink in the directory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'streams-watch-'));
    const publish = (version: string, text: string) => {
      mkdirSync(join(dir, version));
      writeFileSync(join(dir, version, 'streams.yaml'), text);
      symlinkSync(version, join(dir, '..data_tmp'));
      renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
    };
    publish('..v1', yaml([{ id: 'a' }]));
    symlinkSync(join('..data', 'streams.yaml'), join(dir, 'streams.yaml'));
    const { watch, reports } = watchFile(join(dir, 'streams.yaml'), [stream('a')], { pollMs: 60_000 });
    watch.start();
    await watch.check();
    publish('..v2', yaml([{ id: 'a' }, { id: 'b' }]));
    await until(() => reports.some((report) => report.kind === 'changed'), 'the swap to be seen without polling');
    expect(watch.running.map((item) => item.id)).toEqual(['a', 'b']);
  });
});

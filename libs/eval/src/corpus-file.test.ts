import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BUILT_IN_CORPORA, builtInCorpus } from './built-in/index.js';
import type { CorpusFeed } from './corpus.js';
import {
  DEFAULT_FILE_INSTRUCTIONS,
  DEFAULT_FILE_WINDOW,
  defaultFeedName,
  FILE_DEFAULT_START,
  formatCorpusFile,
  parseCorpusText,
  readCorpusFile,
} from './corpus-file.js';
import { formatCorpusProblem } from './problems.js';

const lines = (...values: unknown[]) =>
  values.map((value) => (typeof value === 'string' ? value : JSON.stringify(value))).join('\n');
const problemsOf = (text: string) => parseCorpusText(text, 'my.jsonl').problems.map(formatCorpusProblem);
const feedOf = (text: string, file = 'my.jsonl'): CorpusFeed => {
  const { feed, problems } = parseCorpusText(text, file);
  expect(problems).toEqual([]);
  return feed as CorpusFeed;
};

describe('parseCorpusText', () => {
  it('reads a labelled file: the corpus line, ids, epoch and ISO times, JSON and text data, labels', () => {
    const feed = feedOf(
      lines(
        { corpus: { name: 'pumps', instructions: 'Alert on pressure drops.', window: { maxMessages: 20 } } },
        { id: 'p-1', at: 1_768_210_200_000, data: { pressure: 3.1 } },
        {
          id: 'p-2',
          at: '2026-01-12T09:30:01.000Z',
          data: '{"pressure": 3.0}',
          label: { incident: 'drop', severity: 'critical' },
        },
        {
          id: 'p-3',
          at: '2026-01-12T10:30:02+01:00',
          data: { pressure: 1.2 },
          label: {
            incident: 'drop',
            severity: 'warning',
            kind: 'pressure-drop',
            description: 'Pressure falls by half.',
          },
        },
        { id: 'p-4', at: 1_768_210_203_000, data: { pressure: 3.1 } },
      ),
    );
    expect(feed).toEqual({
      name: 'pumps',
      description: 'Labelled messages of my.jsonl.',
      format: 'json',
      instructions: 'Alert on pressure drops.',
      window: { ...DEFAULT_FILE_WINDOW, maxMessages: 20 },
      messages: [
        { id: 'p-1', at: 1_768_210_200_000, data: '{"pressure":3.1}' },
        { id: 'p-2', at: 1_768_210_201_000, data: '{"pressure": 3.0}' },
        { id: 'p-3', at: 1_768_210_202_000, data: '{"pressure":1.2}' },
        { id: 'p-4', at: 1_768_210_203_000, data: '{"pressure":3.1}' },
      ],
      incidents: [
        {
          id: 'drop',
          kind: 'pressure-drop',
          description: 'Pressure falls by half.',
          messageIds: ['p-2', 'p-3'],
          // The lowest severity given on the incident's lines.
          minSeverity: 'warning',
        },
      ],
    });
  });

  it('forgives what is left out: ids are line numbers, times 100 ms apart, name from the file, json or text guessed', () => {
    const feed = feedOf(
      lines({ data: { v: 1 } }, '', { data: [1, 2] }, { data: 7, label: { incident: 'x', severity: 'info' } }, '   '),
      '/data/My Feed 2.jsonl',
    );
    expect(feed.name).toBe('my-feed-2');
    expect(feed.format).toBe('json');
    expect(feed.instructions).toBe(DEFAULT_FILE_INSTRUCTIONS);
    expect(feed.window).toEqual(DEFAULT_FILE_WINDOW);
    expect(feed.messages).toEqual([
      { id: '1', at: FILE_DEFAULT_START, data: '{"v":1}' },
      { id: '3', at: FILE_DEFAULT_START + 100, data: '[1,2]' },
      { id: '4', at: FILE_DEFAULT_START + 200, data: '7' },
    ]);
    expect(feed.incidents).toEqual([
      {
        id: 'x',
        kind: 'labelled',
        description: '1 labelled message (line 4).',
        messageIds: ['4'],
        minSeverity: 'info',
      },
    ]);

    const text = feedOf(lines({ data: 'GET /api 200 12ms' }, { data: { level: 'error' } }, { data: '{"a":1}' }));
    expect(text.format).toBe('text');
    expect(text.messages.map((message) => message.data)).toEqual(['GET /api 200 12ms', '{"level":"error"}', '{"a":1}']);
    expect(feedOf(lines({ corpus: { format: 'text' } }, { data: '{"a": 1}' })).format).toBe('text');
  });

  it('spaces messages without a time evenly between the times around them', () => {
    const feed = feedOf(
      lines(
        { data: 1 },
        { data: 2 },
        { at: 10_000, data: 3 },
        { data: 4 },
        { data: 5 },
        { at: 10_030, data: 6 },
        { data: 7 },
      ),
    );
    expect(feed.messages.map((message) => message.at)).toEqual([9_800, 9_900, 10_000, 10_010, 10_020, 10_030, 10_130]);
    expect(
      feedOf(lines({ data: 1 }, { at: 10_000, data: 2 }, { data: 3 }, { at: 10_002, data: 4 })).messages.map(
        (m) => m.at,
      ),
    ).toEqual([9_900, 10_000, 10_001, 10_002]);
  });

  it('names the file, the line and the field of every problem on every line at once', () => {
    expect(
      problemsOf(
        lines(
          { data: 1 },
          '{"data": 2,',
          '[1, 2]',
          { lable: { incident: 'x' }, data: 3 },
          { data: 4, label: { incident: 'x', severity: 'high' } },
          { data: 5, label: { severity: 'warning' } },
          { id: 'a' },
          { data: 6, at: '12/01/2026 09:30' },
          { data: 7, at: -5 },
          { data: 8, id: '' },
          { corpus: { name: 'late' } },
        ),
      ),
    ).toEqual([
      `my.jsonl:2: not JSON: ${(() => {
        try {
          JSON.parse('{"data": 2,');
        } catch (error) {
          return (error as Error).message;
        }
      })()}`,
      'my.jsonl:3: expected a JSON object: {"data": …}, with "id", "at" and "label" if you like',
      'my.jsonl:4: lable: unknown field (check the spelling)',
      'my.jsonl:5: label.severity: expected info, warning or critical (got "high")',
      'my.jsonl:6: label.incident: expected an incident id (text) (got nothing)',
      'my.jsonl:7: data: expected the message: any JSON value, or its text',
      'my.jsonl:8: at: expected epoch milliseconds (an integer) or an ISO 8601 time with Z or an offset (got "12/01/2026 09:30")',
      'my.jsonl:9: at: expected epoch milliseconds (an integer) or an ISO 8601 time with Z or an offset (got -5)',
      'my.jsonl:10: id: expected a message id (text, or a whole number) (got "")',
      'my.jsonl:11: corpus: the {"corpus": …} line must be the first line of the file',
    ]);
  });

  it('checks the corpus line like streams.yaml checks a stream', () => {
    expect(
      problemsOf(
        lines(
          { corpus: { name: 'Bad Name', format: 'xml', window: { maxMessages: 0, maxSecs: 5 }, instructions: ' ' } },
          { data: 1 },
        ),
      ),
    ).toEqual([
      'my.jsonl:1: corpus.name: expected a stream id: 1-64 characters of a-z, 0-9, _ or - (got "Bad Name")',
      'my.jsonl:1: corpus.instructions: expected the instructions (text) (got "")',
      'my.jsonl:1: corpus.format: expected json or text (got "xml")',
      'my.jsonl:1: corpus.window.maxMessages: expected a message count above 0 (got 0)',
      'my.jsonl:1: corpus.window.maxSecs: unknown field (check the spelling)',
    ]);
  });

  it('refuses duplicate ids, given or generated', () => {
    const { feed, problems } = parseCorpusText(
      lines({ id: 'a', data: 1 }, { id: 'b', data: 2 }, { id: 'a', data: 3 }, { id: 5, data: 4 }, { data: 5 }),
      'my.jsonl',
    );
    expect(feed).toBeUndefined();
    expect(problems).toEqual([
      {
        source: 'my.jsonl:3',
        line: 3,
        field: 'id',
        message: 'duplicate message id "a" (line 1 has it): expected each id once',
      },
      {
        source: 'my.jsonl:5',
        line: 5,
        field: '',
        message:
          'duplicate message id "5" (line 4 has it; a line without an id gets its line number): expected each id once',
      },
    ]);
  });

  it('refuses times that do not increase, and times that leave no millisecond for the messages between them', () => {
    expect(
      problemsOf(lines({ at: 1_000, data: 1 }, { at: 1_000, data: 2 }, { at: '1970-01-01T00:00:00.500Z', data: 3 })),
    ).toEqual([
      "my.jsonl:2: at: times must increase: 1970-01-01T00:00:01.000Z is not after line 1's 1970-01-01T00:00:01.000Z",
      "my.jsonl:3: at: times must increase: 1970-01-01T00:00:00.500Z is not after line 2's 1970-01-01T00:00:01.000Z",
    ]);
    expect(problemsOf(lines({ at: 1_000, data: 1 }, { data: 2 }, { data: 3 }, { at: 1_002, data: 4 }))).toEqual([
      'my.jsonl:2: at: 2 message(s) without a time between line 1 (1970-01-01T00:00:01.000Z) and line 4 ' +
        '(1970-01-01T00:00:01.002Z), too close for each to get its own millisecond: give them times',
    ]);
    expect(problemsOf(lines({ data: 1 }, { data: 2 }, { at: 150, data: 3 }))).toEqual([
      "my.jsonl:1: at: no time before line 3's 1970-01-01T00:00:00.150Z fits the 2 message(s) above it 100 ms apart: give them times",
    ]);
  });

  it('refuses text that is not JSON in a json corpus, and an incident described two ways', () => {
    expect(problemsOf(lines({ corpus: { format: 'json' } }, { data: 'plain words' }))).toEqual([
      'my.jsonl:2: data: the corpus is json, and this string is not JSON text: give the JSON value itself, or its ' +
        'text (or set "format": "text" on the {"corpus": …} line)',
    ]);
    expect(
      problemsOf(
        lines(
          { data: 1, label: { incident: 'x', severity: 'info', kind: 'spike' } },
          { data: 2, label: { incident: 'x', severity: 'info', kind: 'spike' } },
          { data: 3, label: { incident: 'x', severity: 'info', kind: 'dip', description: 'd' } },
        ),
      ),
    ).toEqual([
      'my.jsonl:3: label.kind: incident "x" has kind "spike" on line 1: give it once, or the same on every line',
    ]);
  });

  it('refuses a file without messages', () => {
    for (const text of ['', '\n  \n', lines({ corpus: { name: 'x' } })])
      expect(parseCorpusText(text, 'my.jsonl').problems).toEqual([
        { source: 'my.jsonl', field: '', message: 'no messages: expected one JSON object a line, {"data": …}' },
      ]);
  });

  it('reads CRLF line ends and a byte order mark', () => {
    const feed = feedOf(`\uFEFF${JSON.stringify({ data: 1 })}\r\n${JSON.stringify({ data: 2 })}\r\n`);
    expect(feed.messages.map((message) => message.data)).toEqual(['1', '2']);
  });
});

describe('defaultFeedName', () => {
  it('makes a stream id of the file name', () => {
    expect(defaultFeedName('corpus/BTC trades.jsonl')).toBe('btc-trades');
    expect(defaultFeedName('x.ndjson')).toBe('x');
    expect(defaultFeedName('ÉÉ.json')).toBe('corpus');
  });
});

describe('readCorpusFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'turbostream-eval-corpus-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the file, names it in problems, and says when it cannot', () => {
    const path = join(dir, 'pumps.jsonl');
    writeFileSync(
      path,
      lines({ data: { pressure: 3 } }, { data: { pressure: 1 }, label: { incident: 'drop', severity: 'warning' } }),
    );
    const { feed, problems } = readCorpusFile(path);
    expect(problems).toEqual([]);
    expect(feed?.name).toBe('pumps');
    expect(feed?.incidents.map((incident) => incident.messageIds)).toEqual([['2']]);

    writeFileSync(path, lines({ data: 1, at: 'soon' }));
    expect(readCorpusFile(path).problems.map((problem) => problem.source)).toEqual([`${path}:1`]);
    expect(readCorpusFile(join(dir, 'missing.jsonl'))).toEqual({
      feed: undefined,
      problems: [{ source: join(dir, 'missing.jsonl'), field: '', message: 'cannot be read (no such file)' }],
    });
    mkdirSync(join(dir, 'folder.jsonl'));
    expect(readCorpusFile(join(dir, 'folder.jsonl')).problems[0]?.message).toBe('cannot be read (a directory)');
  });
});

describe('formatCorpusFile', () => {
  it.each(BUILT_IN_CORPORA)('writes %s as a labelled file that reads back to the same feed', (name) => {
    const [feed] = builtInCorpus([name]);
    const text = formatCorpusFile(feed as CorpusFeed);
    expect(text.split('\n')[1]).toMatch(/^\{"id":"[a-z-]+-0001","at":\d+,"data":\{/);
    expect(parseCorpusText(text, 'elsewhere.jsonl')).toEqual({ feed, problems: [] });
  });

  it('keeps JSON text that its value would not give back, and refuses a message in two incidents', () => {
    const feed: CorpusFeed = {
      name: 'odd',
      description: 'd',
      format: 'json',
      instructions: 'i',
      window: DEFAULT_FILE_WINDOW,
      messages: [
        { id: 'a', at: 1, data: '{"price": 1.50}' },
        { id: 'b', at: 2, data: '"just a string"' },
        { id: 'c', at: 3, data: '[1,2]' },
      ],
      incidents: [{ id: 'x', kind: 'k', description: 'd', messageIds: ['a'], minSeverity: 'warning' }],
    };
    const text = formatCorpusFile(feed);
    expect(text.split('\n').slice(1, 4)).toEqual([
      '{"id":"a","at":1,"data":"{\\"price\\": 1.50}","label":{"incident":"x","severity":"warning","kind":"k","description":"d"}}',
      '{"id":"b","at":2,"data":"\\"just a string\\""}',
      '{"id":"c","at":3,"data":[1,2]}',
    ]);
    expect(parseCorpusText(text, 'odd.jsonl').feed).toEqual(feed);
    const twice = {
      ...feed,
      incidents: [...feed.incidents, { ...(feed.incidents[0] as CorpusFeed['incidents'][number]), id: 'y' }],
    };
    expect(() => formatCorpusFile(twice)).toThrow('message a belongs to incidents x and y: a line has one label');
  });
});

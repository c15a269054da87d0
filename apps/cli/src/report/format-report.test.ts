import { describe, expect, it } from 'vitest';
import { compactCount, dollars, formatReport, parseSince, type Report, table } from './format-report.js';
import type { TargetScore } from './scoreboard.js';

describe('parseSince', () => {
  it('reads seconds, minutes, hours and days', () => {
    expect(parseSince('30m')).toBe(1_800_000);
    expect(parseSince('1h')).toBe(3_600_000);
    expect(parseSince('2d')).toBe(172_800_000);
    expect(parseSince('90s')).toBe(90_000);
    expect(parseSince('1.5h')).toBe(5_400_000);
    expect(parseSince('30d')).toBe(2_592_000_000);
  });

  it('refuses anything else, zero and more than 30 days', () => {
    for (const bad of ['', '1', 'h', '1w', '-1h', '0m', '31d', '1 h', '1H', 'soon'])
      expect(parseSince(bad), bad).toBeUndefined();
  });
});

describe('numbers', () => {
  it('writes counts compactly and dollars to three significant digits', () => {
    expect([950, 9_999, 12_400, 999_400, 1_240_000].map(compactCount)).toEqual([
      '950',
      '9999',
      '12.4k',
      '999k',
      '1.24M',
    ]);
    expect([0, 0.0123456, 0.25, 1.999, 12.345, 1234.5].map(dollars)).toEqual([
      '$0',
      '$0.0123',
      '$0.25',
      '$2',
      '$12.3',
      '$1235',
    ]);
  });

  it('aligns a table: the first column left, the others right', () => {
    expect(
      table(
        ['name', 'n'],
        [
          ['a', '10'],
          ['bbb', '2'],
        ],
      ),
    ).toEqual(['  name   n', '  a     10', '  bbb    2']);
  });
});

function score(target: string, overrides: Partial<TargetScore> = {}): TargetScore {
  const [provider = '', model = ''] = target.split('/');
  return {
    target,
    provider,
    model,
    windows: 120,
    messages: 24_000,
    alerts: { critical: 1, warning: 5, info: 2, total: 8 },
    windowsWithAlerts: 7,
    ttftMs: { p50: 412.4, p95: 980 },
    totalMs: { p50: 1_204, p95: 2_950.6 },
    inputTokens: 240_112,
    outputTokens: 12_400,
    costUsd: 0.296,
    usdPer1kMessages: 0.01233,
    unpricedWindows: 0,
    failed: 1,
    rateLimited: 4,
    ...overrides,
  };
}

const REPORT: Report = {
  v: 1,
  since: '1h',
  from: '2026-11-30T14:00:00.000Z',
  to: '2026-11-30T15:00:00.000Z',
  stream: null,
  log: {
    key: 'turbostream:analyses',
    records: 140,
    unreadable: 0,
    duplicates: 0,
    oldestHeld: '2026-11-29T10:00:00.000Z',
    length: 5_000,
    maxLength: 100_000,
    trimmed: false,
  },
  streams: [
    {
      streamId: 'btc-trades',
      targets: [
        score('openai/gpt-4.1-mini'),
        score('gemini/gemini-2.5-flash', {
          windows: 12,
          windowsWithAlerts: 5,
          alerts: { critical: 0, warning: 4, info: 2, total: 6 },
          ttftMs: { p50: 350, p95: 610 },
          totalMs: { p50: 900, p95: 1_800 },
          inputTokens: 22_000,
          outputTokens: 1_300,
          usdPer1kMessages: null,
          unpricedWindows: 12,
          failed: 0,
          rateLimited: 0,
        }),
      ],
      agreement: [
        {
          a: 'openai/gpt-4.1-mini',
          b: 'gemini/gemini-2.5-flash',
          windows: 12,
          bothAlerted: 3,
          onlyA: 1,
          onlyB: 2,
          neither: 6,
          agreementRate: 0.75,
          evidenceOverlap: 0.4216,
          overlapWindows: 3,
        },
      ],
    },
    { streamId: 'quiet', targets: [], agreement: [] },
  ],
};

describe('formatReport', () => {
  it('prints the period, a table per stream and the agreement of its targets', () => {
    expect(formatReport(REPORT)).toBe(
      [
        'Analyses of the last 1h (2026-11-30T14:00:00.000Z to 2026-11-30T15:00:00.000Z; --since changes it): 140 records',
        '',
        'btc-trades',
        '  target                   windows  alerted  alerts c/w/i  ttft ms p50/p95  total ms p50/p95  tokens in/out  $/1k msgs  failed  429s',
        '  openai/gpt-4.1-mini          120        7         1/5/2          412/980         1204/2951     240k/12.4k    $0.0123       1     4',
        '  gemini/gemini-2.5-flash       12        5         0/4/2          350/610          900/1800       22k/1300   no price       0     0',
        '  agreement, on the windows both targets analysed:',
        '    openai/gpt-4.1-mini vs gemini/gemini-2.5-flash: 12 windows both analysed; both alerted 3, only ' +
          'openai/gpt-4.1-mini 1, only gemini/gemini-2.5-flash 2, neither 6 (agree on 75 %); evidence overlap 0.42 ' +
          '(mean Jaccard of the cited entries over 3 windows both alerted on)',
        '',
        'quiet',
        '  no analyses recorded in this period',
        '',
        'windows: windows analysed; alerted: windows with an alert; alerts c/w/i: critical/warning/info; ttft: time ' +
          'to first token; $/1k msgs: dollars per 1,000 messages analysed; failed: windows failed for good; 429s: ' +
          'calls refused with a 429',
        '',
      ].join('\n'),
    );
  });

  it('escapes feed text for the terminal, and says when the log no longer holds the start of the period', () => {
    const text = formatReport({
      ...REPORT,
      log: { ...REPORT.log, trimmed: true, oldestHeld: '2026-11-30T14:30:00.000Z', length: 100_050 },
      streams: [
        {
          streamId: 'odd',
          targets: [score('ollama/evil\u001b[2J\u202emodel', { unpricedWindows: 3 })],
          agreement: [],
        },
      ],
    });
    expect(text).not.toContain('\u001b');
    expect(text).not.toContain('\u202e');
    expect(text).toContain('ollama/evil\\x1b[2J\\u202emodel');
    expect(text).toContain(
      'note: the analysis log (turbostream:analyses, capped at about 100000 records) starts at ' +
        '2026-11-30T14:30:00.000Z: the earlier part of the period is not counted',
    );
    expect(text).toContain('3 window(s) without a price are not in $/1k msgs');
  });
});

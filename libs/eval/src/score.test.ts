import type { Severity } from '@turbostream/contracts';
import { describe, expect, it } from 'vitest';
import { type AgreementLevel, compareScores } from './compare.js';
import type { CorpusFeed } from './corpus.js';
import { formatScoreTable } from './format-score.js';
import { type EvalAlert, type EvalWindow, scoreAlerts } from './score.js';

/** f-1 … f-10; A: f-2, f-3 (warning); B: f-5, f-6, cut in two by the windows (critical); C: f-9 (info). */
const feedF: CorpusFeed = {
  name: 'f',
  description: 'hand-made',
  format: 'json',
  instructions: 'Alert on anything.',
  window: { maxMessages: 5, maxBytes: 1_000, maxSeconds: 60 },
  messages: Array.from({ length: 10 }, (_, index) => ({ id: `f-${index + 1}`, at: 1_000 + index, data: '{}' })),
  incidents: [
    { id: 'A', kind: 'spike', description: 'a', messageIds: ['f-2', 'f-3'], minSeverity: 'warning' },
    { id: 'B', kind: 'crash', description: 'b', messageIds: ['f-5', 'f-6'], minSeverity: 'critical' },
    { id: 'C', kind: 'drift', description: 'c', messageIds: ['f-9'], minSeverity: 'info' },
  ],
};
/** q-1 … q-4 and no incident. */
const quiet: CorpusFeed = {
  ...feedF,
  name: 'q',
  messages: Array.from({ length: 4 }, (_, index) => ({ id: `q-${index + 1}`, at: 1_000 + index, data: '{}' })),
  incidents: [],
};
const windows: EvalWindow[] = [
  { feed: 'f', windowId: 'w1', messageIds: ['f-1', 'f-2', 'f-3', 'f-4', 'f-5'] },
  { feed: 'f', windowId: 'w2', messageIds: ['f-6', 'f-7', 'f-8', 'f-9', 'f-10'] },
  { feed: 'q', windowId: 'q1', messageIds: ['q-1', 'q-2', 'q-3', 'q-4'] },
];
const fWindows = windows.slice(0, 2);
const alert = (windowId: string, severity: Severity, evidence: string[], feed = windowId.startsWith('q') ? 'q' : 'f') =>
  ({ feed, windowId, severity, title: `${severity} ${evidence.join(',')}`, evidence }) satisfies EvalAlert;

describe('scoreAlerts', () => {
  it('finds an incident cited by an alert, misses one cited by none, and calls the rest false alarms', () => {
    const score = scoreAlerts([feedF], fWindows, [alert('w1', 'warning', ['f-3']), alert('w2', 'critical', ['f-8'])]);
    expect(score.incidents.map((incident) => [incident.incidentId, incident.found, incident.severity])).toEqual([
      ['A', true, 'warning'],
      ['B', false, null],
      ['C', false, null],
    ]);
    expect(score.incidents[0]?.matchedBy).toEqual([
      { index: 0, windowId: 'w1', severity: 'warning', title: 'warning f-3' },
    ]);
    expect(score.alerts.map((scored) => [scored.verdict, scored.incidents, scored.reason])).toEqual([
      ['match', ['A'], undefined],
      ['false-alarm', [], 'no-incident-cited'],
    ]);
    expect(score.overall).toMatchObject({
      incidents: 3,
      found: 1,
      alerts: 2,
      matchingAlerts: 1,
      falseAlarms: 1,
      severityOk: 1,
      windows: 2,
      recall: 1 / 3,
      precision: 0.5,
      severityAccuracy: 1,
      falseAlarmsPerWindow: 0.5,
    });
    expect(score.overall.f1).toBeCloseTo(0.4, 10);
  });

  it('finds an incident cut in two from either part, counts it once, and each of its alerts as a true positive', () => {
    const early = scoreAlerts([feedF], fWindows, [alert('w1', 'critical', ['f-5'])]);
    const late = scoreAlerts([feedF], fWindows, [alert('w2', 'critical', ['f-6'])]);
    for (const score of [early, late])
      expect(score.incidents[1]).toMatchObject({ found: true, split: true, windows: ['w1', 'w2'] });
    expect(early.incidents.map((incident) => incident.split)).toEqual([false, true, false]);

    const both = scoreAlerts([feedF], fWindows, [
      alert('w1', 'warning', ['f-4', 'f-5']),
      alert('w2', 'critical', ['f-6']),
    ]);
    expect(both.incidents[1]).toMatchObject({ found: true, severity: 'critical', severityOk: true });
    expect(both.incidents[1]?.matchedBy.map((ref) => ref.windowId)).toEqual(['w1', 'w2']);
    expect(both.feeds[0]).toMatchObject({ found: 1, matchingAlerts: 2, falseAlarms: 0, precision: 1 });
  });

  it('judges severity by the most severe matching alert', () => {
    const tooLow = scoreAlerts([feedF], fWindows, [alert('w1', 'info', ['f-2']), alert('w1', 'warning', ['f-5'])]);
    expect(tooLow.incidents.map((incident) => [incident.severity, incident.severityOk])).toEqual([
      ['info', false],
      ['warning', false],
      [null, null],
    ]);
    expect(tooLow.overall).toMatchObject({ found: 2, severityOk: 0, severityAccuracy: 0 });
    const raised = scoreAlerts([feedF], fWindows, [alert('w1', 'info', ['f-2']), alert('w1', 'critical', ['f-3'])]);
    expect(raised.incidents[0]).toMatchObject({ severity: 'critical', severityOk: true });
    // Above the minimum is right too: minSeverity is the lowest severity that counts.
    expect(scoreAlerts([feedF], fWindows, [alert('w2', 'critical', ['f-9'])]).incidents[2]?.severityOk).toBe(true);
  });

  it('calls an alert without evidence a false alarm, whatever it says', () => {
    const score = scoreAlerts([feedF], fWindows, [alert('w1', 'critical', [])]);
    expect(score.alerts[0]).toMatchObject({ verdict: 'false-alarm', reason: 'no-evidence', incidents: [] });
    expect(score.overall).toMatchObject({ found: 0, falseAlarms: 1, recall: 0, precision: 0, f1: 0 });
  });

  it('credits every incident an alert cites, once per alert; keeps evidence that names no message apart', () => {
    const score = scoreAlerts([feedF], fWindows, [
      alert('w1', 'critical', ['f-2', 'f-2', 'f-3', 'f-5', 'nope']),
      alert('w2', 'warning', ['x-1']),
    ]);
    expect(score.alerts[0]).toMatchObject({
      verdict: 'match',
      incidents: ['A', 'B'],
      evidence: ['f-2', 'f-3', 'f-5', 'nope'],
      unknownEvidence: ['nope'],
    });
    expect(score.alerts[1]).toMatchObject({
      verdict: 'false-alarm',
      reason: 'no-incident-cited',
      unknownEvidence: ['x-1'],
    });
    expect(score.incidents[0]?.matchedBy).toHaveLength(1);
    expect(score.overall).toMatchObject({ found: 2, matchingAlerts: 1, falseAlarms: 1 });
  });

  it('scores each feed and all of them together; a feed without incidents has no recall, only false alarms', () => {
    const score = scoreAlerts([feedF, quiet], windows, [
      alert('w1', 'warning', ['f-2']),
      alert('q1', 'warning', ['q-2']),
      alert('q1', 'info', ['q-3']),
    ]);
    expect(score.feeds.map((feed) => feed.feed)).toEqual(['f', 'q']);
    expect(score.feeds[1]).toEqual({
      feed: 'q',
      incidents: 0,
      found: 0,
      alerts: 2,
      matchingAlerts: 0,
      falseAlarms: 2,
      severityOk: 0,
      windows: 1,
      recall: null,
      precision: 0,
      f1: null,
      severityAccuracy: null,
      falseAlarmsPerWindow: 2,
    });
    // Overall: sums over the feeds, so the quiet feed's false alarms lower the overall precision.
    expect(score.overall).toMatchObject({
      incidents: 3,
      found: 1,
      alerts: 3,
      matchingAlerts: 1,
      windows: 3,
      precision: 1 / 3,
    });
    const silent = scoreAlerts([feedF, quiet], windows, []);
    expect(silent.feeds[1]).toMatchObject({ recall: null, precision: null, f1: null, falseAlarmsPerWindow: 0 });
    expect(silent.overall).toMatchObject({ recall: 0, precision: null, f1: null, severityAccuracy: null });
    expect(scoreAlerts([feedF], [], []).overall.falseAlarmsPerWindow).toBeNull();
  });

  it('refuses alerts and windows of feeds it was not given, and feeds or incidents given twice', () => {
    expect(() => scoreAlerts([feedF], [], [alert('w1', 'info', ['f-1'], 'g')])).toThrow(
      'alert 0 ("info f-1") of feed "g", which is not among the feeds scored (f)',
    );
    expect(() => scoreAlerts([feedF], [{ feed: 'g', windowId: 'w', messageIds: [] }], [])).toThrow(
      'window w of feed "g"',
    );
    expect(() => scoreAlerts([feedF, feedF], [], [])).toThrow('feed "f" is given twice');
    const twice = { ...feedF, incidents: [...feedF.incidents, feedF.incidents[0] as CorpusFeed['incidents'][number]] };
    expect(() => scoreAlerts([twice], [], [])).toThrow('incident "A" is given twice in feed "f"');
  });

  it('prints a table per feed and for all feeds', () => {
    const score = scoreAlerts([feedF, quiet], windows, [alert('w1', 'warning', ['f-2']), alert('q1', 'info', ['q-1'])]);
    expect(formatScoreTable(score).split('\n')).toEqual([
      '| feed | found | recall | matching alerts | precision | F1 | severity ok | severity accuracy | false alarms | windows |',
      '|---|---|---|---|---|---|---|---|---|---|',
      '| f | 1/3 | 33.3 % | 1/1 | 100.0 % | 0.50 | 1/1 | 100.0 % | 0 | 2 |',
      '| q | 0/0 | — | 0/1 | 0.0 % | — | 0/0 | — | 1 | 1 |',
      '| all feeds | 1/3 | 33.3 % | 1/2 | 50.0 % | 0.40 | 1/1 | 100.0 % | 1 | 3 |',
    ]);
  });
});

describe('compareScores', () => {
  const scoreOf = (alerts: EvalAlert[]) => scoreAlerts([feedF], fWindows, alerts);
  const both = scoreOf([alert('w1', 'warning', ['f-2']), alert('w2', 'critical', ['f-6'])]);
  const onlyA = scoreOf([alert('w1', 'info', ['f-3'])]);
  const none = scoreOf([alert('w1', 'critical', [])]);

  it('says per incident which targets found it: all, some or none', () => {
    const agreement = compareScores([
      { target: 'openai/gpt-4.1-mini', score: both },
      { target: 'anthropic/claude-haiku-4-5', score: onlyA },
      { target: 'heuristic', score: none },
    ]);
    expect(agreement.targets).toEqual(['openai/gpt-4.1-mini', 'anthropic/claude-haiku-4-5', 'heuristic']);
    expect(agreement.incidents.map((row) => [row.incidentId, row.agreement, row.foundBy, row.missedBy])).toEqual([
      ['A', 'some', ['openai/gpt-4.1-mini', 'anthropic/claude-haiku-4-5'], ['heuristic']],
      ['B', 'some', ['openai/gpt-4.1-mini'], ['anthropic/claude-haiku-4-5', 'heuristic']],
      ['C', 'none', [], ['openai/gpt-4.1-mini', 'anthropic/claude-haiku-4-5', 'heuristic']],
    ]);
    expect(agreement.incidents[0]?.severities).toEqual({
      'openai/gpt-4.1-mini': 'warning',
      'anthropic/claude-haiku-4-5': 'info',
      heuristic: null,
    });
    expect([agreement.foundByAll, agreement.foundBySome, agreement.foundByNone]).toEqual([0, 2, 1]);

    const two = compareScores([
      { target: 'a', score: both },
      { target: 'b', score: onlyA },
    ]);
    expect(two.incidents.map((row) => row.agreement)).toEqual<AgreementLevel[]>(['all', 'some', 'none']);
    expect([two.foundByAll, two.foundBySome, two.foundByNone]).toEqual([1, 1, 1]);
  });

  it('leaves a target out of an incident its score does not hold, and refuses a target given twice', () => {
    const other = scoreAlerts([quiet], [], []);
    const agreement = compareScores([
      { target: 'a', score: onlyA },
      { target: 'b', score: other },
    ]);
    expect(agreement.incidents[0]).toMatchObject({
      agreement: 'all',
      foundBy: ['a'],
      missedBy: [],
      notScoredBy: ['b'],
    });
    expect(compareScores([])).toEqual({ targets: [], incidents: [], foundByAll: 0, foundBySome: 0, foundByNone: 0 });
    expect(() =>
      compareScores([
        { target: 'a', score: both },
        { target: 'a', score: none },
      ]),
    ).toThrow('target "a" is given twice');
  });
});

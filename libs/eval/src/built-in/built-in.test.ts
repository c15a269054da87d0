import { createHash } from 'node:crypto';
import { STREAM_ID_PATTERN } from '@turbostream/contracts';
import { describe, expect, it } from 'vitest';
import type { CorpusFeed } from '../corpus.js';
import { BUILT_IN_CORPORA, builtInCorpus, DEFAULT_CORPUS_SEED } from './index.js';

const corpus = builtInCorpus();
const feed = (name: string) => corpus.find((candidate) => candidate.name === name) as CorpusFeed;
const json = (feedName: string, n: number) =>
  JSON.parse(feed(feedName).messages[n - 1]?.data ?? 'null') as Record<string, unknown>;
const digest = (feeds: readonly CorpusFeed[]) => createHash('sha256').update(JSON.stringify(feeds)).digest('hex');

/** The count-only cut: windows of maxMessages in feed order. */
function countWindows(of: CorpusFeed) {
  const windows: CorpusFeed['messages'][] = [];
  for (let start = 0; start < of.messages.length; start += of.window.maxMessages)
    windows.push(of.messages.slice(start, start + of.window.maxMessages));
  return windows;
}

describe('builtInCorpus', () => {
  it('gives the same bytes for the same seed, other bytes for another', () => {
    expect(DEFAULT_CORPUS_SEED).toBe(42);
    expect(JSON.stringify(builtInCorpus(undefined, 7))).toBe(JSON.stringify(builtInCorpus(undefined, 7)));
    expect(JSON.stringify(builtInCorpus())).toBe(JSON.stringify(builtInCorpus(undefined, 42)));
    const other = builtInCorpus(undefined, 43);
    for (const [index, generated] of corpus.entries()) {
      expect(other[index]?.name).toBe(generated.name);
      expect(other[index]?.messages.map((message) => message.data)).not.toEqual(
        generated.messages.map((message) => message.data),
      );
      // Another seed moves values, not incidents: the labels stay where the feed's description says.
      expect(other[index]?.incidents.map((incident) => incident.messageIds)).toEqual(
        generated.incidents.map((incident) => incident.messageIds),
      );
    }
  });

  it('is the corpus the figures in BENCHMARKS.md were measured on (change it on purpose, then measure again)', () => {
    expect(digest(corpus)).toBe('67102fb3e056964d78abcac31884c1862cfbf99581703ec0cc0f883338ed1387');
  });

  it('gives a feed the same alone as with the others, in the order named, each once', () => {
    expect(BUILT_IN_CORPORA).toEqual(['trades', 'service-logs', 'telemetry', 'quiet']);
    expect(corpus.map((generated) => generated.name)).toEqual(BUILT_IN_CORPORA);
    const picked = builtInCorpus(['quiet', 'trades', 'quiet']);
    expect(picked.map((generated) => generated.name)).toEqual(['quiet', 'trades']);
    expect(JSON.stringify(picked[1])).toBe(JSON.stringify(feed('trades')));
  });

  it('throws on an unknown name, naming the known ones', () => {
    expect(() => builtInCorpus(['trades', 'tardes'])).toThrow(
      'unknown built-in corpus "tardes": expected one of trades, service-logs, telemetry, quiet',
    );
    expect(() => builtInCorpus(undefined, 1.5)).toThrow(RangeError);
  });

  it.each(BUILT_IN_CORPORA)('%s: a stream id, instructions, a few hundred JSON messages, times increasing', (name) => {
    const generated = feed(name);
    expect(generated.name).toMatch(STREAM_ID_PATTERN);
    expect(generated.instructions.length).toBeGreaterThan(100);
    expect(generated.format).toBe('json');
    expect(generated.messages.length).toBeGreaterThanOrEqual(300);
    expect(generated.messages.length).toBeLessThanOrEqual(500);
    expect(generated.window.maxMessages).toBe(50);
    generated.messages.forEach((message, index) => {
      expect(message.id).toBe(`${name}-${String(index + 1).padStart(4, '0')}`);
      expect(() => JSON.parse(message.data)).not.toThrow();
      if (index > 0) expect(message.at).toBeGreaterThan(generated.messages[index - 1]?.at ?? Number.POSITIVE_INFINITY);
    });
  });

  it.each(BUILT_IN_CORPORA)('%s: the windower cuts it every maxMessages, like a count-only cut', (name) => {
    // The windower (services/windower/src/window-cutter.ts) closes a window at maxMessages, at maxBytes, or at the
    // first entry maxSeconds after the window's first: when no run of maxMessages messages reaches the other two
    // limits, its windows are the count-only cut's (replayed with entry ids at the messages' times).
    const generated = feed(name);
    for (const window of countWindows(generated)) {
      const first = window[0];
      const last = window.at(-1);
      if (first === undefined || last === undefined) throw new Error('empty window');
      expect(last.at - first.at).toBeLessThan(generated.window.maxSeconds * 1_000);
      expect(window.reduce((sum, message) => sum + Buffer.byteLength(message.data), 0)).toBeLessThanOrEqual(
        generated.window.maxBytes,
      );
    }
  });

  it('labels only messages of the feed, each incident once and each message in at most one incident', () => {
    for (const generated of corpus) {
      const ids = new Set(generated.messages.map((message) => message.id));
      const labelled = generated.incidents.flatMap((incident) => incident.messageIds);
      expect(labelled.every((id) => ids.has(id))).toBe(true);
      expect(new Set(labelled).size).toBe(labelled.length);
      expect(new Set(generated.incidents.map((incident) => incident.id)).size).toBe(generated.incidents.length);
      for (const incident of generated.incidents) {
        expect(incident.id.startsWith(`${generated.name}-`)).toBe(true);
        expect(incident.messageIds.length).toBeGreaterThan(0);
        expect(incident.description.length).toBeGreaterThan(20);
      }
    }
  });

  it('has the incidents each feed is for, and none on the quiet feed', () => {
    const kinds = (name: string) => feed(name).incidents.map((incident) => incident.kind);
    expect(kinds('trades')).toEqual(['price-spike', 'flash-crash', 'stale-price', 'feed-gap']);
    expect(kinds('service-logs')).toEqual(['error-burst', 'latency-creep', 'critical-line']);
    expect(kinds('telemetry')).toEqual(['out-of-range', 'sensor-drift', 'dropout']);
    expect(feed('quiet').incidents).toEqual([]);
  });

  it('cuts some incidents in two at a window boundary', () => {
    const split = corpus.flatMap((generated) => {
      const windows = countWindows(generated);
      return generated.incidents
        .map((incident) => ({
          id: incident.id,
          windows: windows.filter((window) => window.some((message) => incident.messageIds.includes(message.id)))
            .length,
        }))
        .filter((incident) => incident.windows > 1)
        .map((incident) => `${incident.id}: ${incident.windows}`);
    });
    expect(split).toEqual([
      'trades-flash-crash: 2',
      'service-logs-latency-creep: 3',
      'telemetry-sensor-drift: 6',
      'telemetry-dropout: 2',
    ]);
    // The flash crash: 8 messages before the boundary after message 200, 8 after.
    expect(feed('trades').incidents[1]?.messageIds).toEqual(
      Array.from({ length: 16 }, (_, index) => `trades-${String(193 + index).padStart(4, '0')}`),
    );
  });

  it('shows each labelled incident in the messages', () => {
    const price = (n: number) => Number(json('trades', n).price);
    expect(price(63) / price(62)).toBeGreaterThan(1.02);
    expect(Math.min(...Array.from({ length: 16 }, (_, index) => price(193 + index))) / price(192)).toBeLessThan(0.96);
    expect(price(209) / price(192)).toBeGreaterThan(0.995);
    const stale = Array.from({ length: 18 }, (_, index) => json('trades', 311 + index));
    expect(new Set(stale.map((trade) => `${trade.price} ${trade.qty} ${trade.side}`)).size).toBe(1);
    expect(new Set(stale.map((trade) => trade.tradeId)).size).toBe(18);
    const at = (name: string, n: number) => feed(name).messages[n - 1]?.at ?? 0;
    expect(at('trades', 366) - at('trades', 365)).toBeGreaterThanOrEqual(45_000);
    expect(at('trades', 328) - at('trades', 311)).toBeGreaterThanOrEqual(16_000);

    const logs = feed('service-logs');
    const [burst, creep, critical] = logs.incidents;
    const line = (id: string) => JSON.parse(logs.messages.find((message) => message.id === id)?.data ?? '{}');
    expect(burst?.messageIds.map((id) => line(id).level)).toEqual(Array(9).fill('error'));
    expect(critical?.messageIds.map((id) => line(id).level)).toEqual(['critical']);
    const latencies = creep?.messageIds.map((id) => line(id)) ?? [];
    expect(new Set(latencies.map((entry) => entry.service))).toEqual(new Set(['search']));
    expect(latencies.at(-1).latency_ms / latencies[0].latency_ms).toBeGreaterThan(8);
    const levels = logs.messages.map((message) => JSON.parse(message.data).level);
    expect(levels.filter((level) => level === 'error')).toHaveLength(9 + 3);
    expect(levels.filter((level) => level === 'critical' || level === 'fatal')).toHaveLength(1);

    const telemetry = feed('telemetry');
    const reading = (id: string) => JSON.parse(telemetry.messages.find((message) => message.id === id)?.data ?? '{}');
    const [outOfRange, drift, dropout] = telemetry.incidents;
    expect(reading(outOfRange?.messageIds[0] ?? '').sensors.temp.value).toBeGreaterThan(70);
    const drifted = drift?.messageIds.map((id) => reading(id)) ?? [];
    expect(new Set(drifted.map((entry) => entry.device.id))).toEqual(new Set(['dev-003']));
    expect(drifted.at(-1).sensors.temp.value - drifted[0].sensors.temp.value).toBeGreaterThan(8);
    const lost = dropout?.messageIds.map((id) => reading(id)) ?? [];
    expect(lost.map((entry) => [entry.device.id, entry.sensors.vibration.rms])).toEqual(
      Array(6).fill(['dev-006', null]),
    );
    const temps = telemetry.messages.map((message) => JSON.parse(message.data).sensors.temp.value as number);
    expect(temps.filter((value) => value > 70 || value < 0)).toHaveLength(1);

    for (const message of feed('quiet').messages) {
      const metrics = JSON.parse(message.data);
      if (metrics.event !== undefined) continue;
      expect(metrics.rps).toBeGreaterThan(100);
      expect(metrics.error_rate).toBeLessThan(0.05);
      expect(metrics.p99_ms).toBeLessThan(1_000);
      expect(metrics.cpu_pct).toBeLessThan(90);
    }
  });
});

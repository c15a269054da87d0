import { sampleAlert } from '@turbostream/testkit';
import { describe, expect, it } from 'vitest';
import { formatAlert } from './format-alert.js';

const alert = sampleAlert({
  id: 'demo.1-0.heuristic.mad.0',
  streamId: 'demo',
  severity: 'critical',
  summary: 'price 64210 vs median 61200',
  evidence: ['1-0', '1-1', '1-2', '1-3'],
  window: { messages: 100, from: '2026-01-01T00:00:00.000Z', to: '2026-01-01T00:00:05.000Z' },
  timings: { queuedMs: 3, ttftMs: 1.2, totalMs: 1.4 },
  createdAt: '2026-01-01T00:00:06.000Z',
});

describe('formatAlert', () => {
  it('shows severity, stream, title, summary, target and evidence', () => {
    const text = formatAlert(JSON.stringify(alert));
    expect(text).toContain('00:00:06 CRITICAL demo  price outlier');
    expect(text).toContain('price 64210 vs median 61200');
    expect(text).toContain('heuristic/mad  window 1-0 (100 messages)');
    expect(text).toContain('evidence 1-0, 1-1, 1-2 (+1)');
  });

  it('shows what is not an alert as it came, without throwing', () => {
    expect(formatAlert('nope')).toBe('(not JSON) nope');
    expect(formatAlert('{"v":2}')).toBe('(not a v1 alert) {"v":2}');
  });
});

import { defaultConfig } from '@turbostream/config';
import { sampleAlert } from '@turbostream/testkit';
import { describe, expect, it } from 'vitest';
import { configSecrets, dashboardAlert, dashboardEvent, SecretScrubber } from './data.js';

describe('what the dashboard sends', () => {
  it('takes every configured secret out of a text, as is, JSON-escaped or URL-encoded', () => {
    const config = {
      ...defaultConfig({
        OPENAI_API_KEY: 'sk-openai-0123456789',
        REDIS_URL: 'redis://:redis-pass"word@db:6379',
        DASHBOARD_TOKEN: 'dashboard-token-0123456789',
      }),
    };
    const secrets = configSecrets(
      {
        ...config,
        streams: [
          {
            id: 's',
            source: {
              url: 'wss://feed:source-password@x.example/ws?token=source-token-42&plain=1',
              subscribe: [],
              headers: { Authorization: 'Bearer header-secret-99' },
              format: 'json',
            },
            window: { maxMessages: 1, maxBytes: 1, maxSeconds: 1 },
            targets: [{ provider: 'heuristic', model: 'mad' }],
            instructions: '',
          },
          {
            id: 't',
            source: { url: 'https://user-token-abcdef@y.example/', subscribe: [], headers: {}, format: 'json' },
            window: { maxMessages: 1, maxBytes: 1, maxSeconds: 1 },
            targets: [{ provider: 'heuristic', model: 'mad' }],
            instructions: '',
          },
        ],
      },
      ['redis://:other-redis-pass@127.0.0.1:6380'],
    );
    const scrubber = new SecretScrubber(secrets);
    const text = JSON.stringify({
      a: 'key sk-openai-0123456789 and redis-pass"word',
      b: 'wss://feed:source-password@x.example/ws?token=source-token-42 Bearer header-secret-99',
      c: `${encodeURIComponent('redis-pass"word')} other-redis-pass dashboard-token-0123456789 user-token-abcdef`,
      d: 'feed stays, and so does plain=1',
    });
    const scrubbed = scrubber.scrub(text);
    for (const secret of [
      'sk-openai-0123456789',
      'redis-pass',
      'source-password',
      'source-token-42',
      'header-secret-99',
      'other-redis-pass',
      'dashboard-token-0123456789',
      'user-token-abcdef',
    ])
      expect(scrubbed, secret).not.toContain(secret);
    expect(JSON.parse(scrubbed).d).toBe('feed stays, and so does plain=1');
  });

  it('passes alerts through their schema (unknown fields dropped) and refuses what is not one', () => {
    const alert = sampleAlert({ title: '<img src=x onerror=alert(1)>' });
    expect(dashboardAlert(JSON.stringify({ ...alert, extra: 'secret' }))).toEqual(alert);
    expect(dashboardAlert('{"v":2}')).toBeUndefined();
    expect(dashboardAlert('not json')).toBeUndefined();
  });

  it('sends events without their details, URL credentials masked', () => {
    const event = dashboardEvent(
      JSON.stringify({
        v: 1,
        type: 'source.down',
        service: 'ingest',
        streamId: 's',
        message: 'source down: wss://u:pw-secret@host/ws refused',
        details: { url: 'wss://u:pw-secret@host/ws' },
        at: '2026-01-01T00:00:00.000Z',
      }),
    );
    expect(event).toEqual({
      type: 'source.down',
      service: 'ingest',
      streamId: 's',
      message: 'source down: wss://u:****@host/ws refused',
      at: '2026-01-01T00:00:00.000Z',
    });
    expect(dashboardEvent('{}')).toBeUndefined();
  });
});

import { createServer } from 'node:net';
import { createLogger } from '@turbostream/logging';
import { afterEach, describe, expect, it } from 'vitest';
import { HealthServer, type HealthServerOptions } from './health-server.js';

const logger = createLogger({ level: 'silent' });
const open: HealthServer[] = [];

async function startServer(
  options: Partial<HealthServerOptions> = {},
): Promise<{ health: HealthServer; base: string }> {
  const health = new HealthServer({ port: 0, logger, ...options });
  open.push(health);
  await health.start();
  return { health, base: `http://127.0.0.1:${health.port}` };
}

async function get(url: string, init: RequestInit = {}): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url, init);
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

afterEach(async () => {
  await Promise.all(open.splice(0).map((health) => health.close()));
});

describe('HealthServer', () => {
  it('answers /healthz with 200 while the process runs, starting and draining included', async () => {
    const { health, base } = await startServer();
    expect(await get(`${base}/healthz`)).toEqual({ status: 200, body: { status: 'ok' } });
    health.setStarted();
    health.setDraining();
    expect(await get(`${base}/healthz`)).toEqual({ status: 200, body: { status: 'ok' } });
    const head = await fetch(`${base}/healthz`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });

  it('is not ready until started, ready once started and every check passes', async () => {
    const { health, base } = await startServer({ checks: { redis: () => 'PONG' } });
    expect(await get(`${base}/readyz`)).toEqual({
      status: 503,
      body: {
        status: 'not ready',
        failing: ['started'],
        checks: { started: 'still starting', draining: 'ok', redis: 'ok' },
      },
    });
    health.setStarted();
    expect(await get(`${base}/readyz`)).toEqual({
      status: 200,
      body: { status: 'ready', failing: [], checks: { started: 'ok', draining: 'ok', redis: 'ok' } },
    });
  });

  it('names a check that throws, rejects or does not answer in time, and recovers when it passes again', async () => {
    let redisUp = false;
    const { health, base } = await startServer({
      checkTimeoutMs: 100,
      checks: {
        redis: async () => {
          if (!redisUp) throw new Error('redis connection is reconnecting');
        },
        disk: () => {
          throw new Error('disk full');
        },
      },
    });
    health.addCheck('slow', () => new Promise(() => {}));
    health.setStarted();
    const failing = await get(`${base}/readyz`);
    expect(failing.status).toBe(503);
    expect(failing.body).toMatchObject({
      status: 'not ready',
      failing: ['redis', 'disk', 'slow'],
      checks: {
        started: 'ok',
        draining: 'ok',
        redis: 'redis connection is reconnecting',
        disk: 'disk full',
        slow: 'no answer within 100 ms',
      },
    });
    redisUp = true;
    health.addCheck('disk', () => undefined);
    health.addCheck('slow', async () => {});
    expect((await get(`${base}/readyz`)).status).toBe(200);
  });

  it('turns readiness to 503 once draining, naming it', async () => {
    const { health, base } = await startServer();
    health.setStarted();
    expect((await get(`${base}/readyz`)).status).toBe(200);
    health.setDraining();
    health.setDraining();
    const draining = await get(`${base}/readyz`);
    expect(draining.status).toBe(503);
    expect(draining.body).toMatchObject({
      failing: ['draining'],
      checks: { draining: 'shutting down: no new work taken' },
    });
  });

  it('answers 404 elsewhere and 405 to other methods; ignores query strings', async () => {
    const { base } = await startServer();
    expect((await get(`${base}/`)).status).toBe(404);
    expect((await get(`${base}/metrics`)).status).toBe(404);
    expect((await get(`${base}/healthz`, { method: 'POST' })).status).toBe(405);
    expect((await get(`${base}/healthz?verbose=1`)).status).toBe(200);
  });

  it('serves /metrics when given a metrics source, in every state, as the source says', async () => {
    let scrapes = 0;
    const metrics = {
      contentType: 'text/plain; version=0.0.4; charset=utf-8',
      text: async () => `turbostream_scrapes ${++scrapes}\n`,
    };
    const { health, base } = await startServer({ metrics });
    const first = await fetch(`${base}/metrics`);
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toBe(metrics.contentType);
    expect(await first.text()).toBe('turbostream_scrapes 1\n');
    health.setDraining();
    expect(await (await fetch(`${base}/metrics`)).text()).toBe('turbostream_scrapes 2\n');
    expect((await fetch(`${base}/metrics`, { method: 'POST' })).status).toBe(405);
    expect(await get(`${base}/nope`)).toEqual({
      status: 404,
      body: { status: 'not found', endpoints: ['/healthz', '/readyz', '/metrics'] },
    });
  });

  it('answers 500 when the metrics cannot be read', async () => {
    const { base } = await startServer({
      metrics: { contentType: 'text/plain', text: () => Promise.reject(new Error('broken')) },
    });
    expect(await get(`${base}/metrics`)).toEqual({ status: 500, body: { status: 'error' } });
  });

  it('refuses built-in check names', async () => {
    const health = new HealthServer({ port: 0, logger });
    expect(() => health.addCheck('draining', () => undefined)).toThrow(/built in/);
    expect(() => new HealthServer({ port: 0, logger, checks: { started: () => undefined } })).toThrow(/built in/);
  });

  it('closes idempotently, even with a kept-alive connection open, and stops answering', async () => {
    const { health, base } = await startServer();
    expect((await get(`${base}/healthz`)).status).toBe(200);
    const closing = health.close();
    expect(health.close()).toBe(closing);
    await closing;
    await expect(fetch(`${base}/healthz`)).rejects.toThrow();
    await expect(health.start()).rejects.toThrow(/closed/);
    await new HealthServer({ port: 0, logger }).close();
  });

  it('rejects start() when the port is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const address = blocker.address();
    const port = address && typeof address === 'object' ? address.port : 0;
    try {
      const health = new HealthServer({ port, logger });
      await expect(health.start()).rejects.toThrow(/EADDRINUSE/);
      await health.close();
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });
});

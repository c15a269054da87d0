/**
 * `turbostream dashboard` in a real headless Chromium (Debian's, driven by playwright-core), on a real Redis with a
 * password, as a process of the built CLI. The test writes what the services would (a stream's messages, the
 * windower's status, a spent budget, analysis records, an analyzer's heartbeat, an operational event) and publishes
 * alerts with the analyzers' AlertPublisher, then checks what the page shows: the streams as `turbostream streams`
 * shows them, an alert within 5 s of its publication without a reload, the filters, the evidence read back from the
 * stream, the providers' figures as `turbostream report` computes them; that markup in a message or an alert title
 * shows as text and runs nothing (even with the Content-Security-Policy bypassed); that no secret reaches the
 * browser; and the token rules. Screenshots of each view go to test/artifacts/ (git ignores it).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AnalysisRecord } from '@turbostream/contracts';
import { BudgetLedger } from '@turbostream/costs';
import {
  AlertPublisher,
  AnalysisLog,
  AnalyzerPresence,
  createKeyLayout,
  EventPublisher,
  readTargetOverrides,
} from '@turbostream/redis';
import { chatMessages, sampleAlert, startFakeOpenAI, waitFor } from '@turbostream/testkit';
import { redisTest } from '@turbostream/testkit/redis-test';
import type { Redis } from 'ioredis';
import type { Browser, Page } from 'playwright-core';
import { afterAll, describe, expect } from 'vitest';
import { sessionValue } from '../apps/cli/src/dashboard/auth.js';
import { CONTENT_SECURITY_POLICY } from '../apps/cli/src/dashboard/server.js';
import { artifactPath, launchChromium } from './support/browser.js';
import { type DashboardProcess, startDashboardProcess } from './support/dashboard-process.js';
import { secretOccurrences } from './support/secret-spellings.js';
import { assertCliBuilt, CLI, cliNodeFlags, ServiceProcess } from './support/service-process.js';

const NAMESPACE = 'e2e-dashboard';
const SECRETS = {
  openaiKey: 'sk-dashboard-e2e-key-5f1c2a9b7e',
  redisPassword: 'redis-pass-dashboard-e2e-8d3f',
  sourcePassword: 'source-pass-e2e-41b7c9',
  sourceToken: 'source-token-e2e-93ad6e',
  dashboardToken: 'dashboard-token-e2e-0c7f3b9a2d61',
} as const;
/** What the payloads set if they ever run. */
const IMG_PAYLOAD = '<img src=x onerror="window.__pwned = (window.__pwned || 0) + 1">';
const SCRIPT_PAYLOAD = '<script>window.__pwned = (window.__pwned || 0) + 10</script>';

const keys = createKeyLayout(NAMESPACE);

describe('turbostream dashboard', () => {
  let redisUrl = '';
  let cwd = '';
  let env: Record<string, string> = {};
  let redis: Redis;
  let publisher: AlertPublisher;
  let browser: Browser;
  let dashboard: DashboardProcess;
  /** The entry ids of the messages written to stream `trades`, the first one carrying both payloads. */
  const entries: string[] = [];
  let stopPresence: () => Promise<void> = async () => {};

  redisTest.beforeAll(async ({ server }) => {
    assertCliBuilt();
    // The fixture's server gets a password for this file (removed after, for its disposal).
    const admin = server.client();
    await admin.config('SET', 'requirepass', SECRETS.redisPassword);
    admin.disconnect();
    redisUrl = `redis://:${SECRETS.redisPassword}@127.0.0.1:${server.port}`;
    const { Redis: RedisClass } = await import('ioredis');
    redis = new RedisClass(redisUrl);
    publisher = new AlertPublisher({ redis, keys });

    cwd = mkdtempSync(join(tmpdir(), 'turbostream-dashboard-e2e-'));
    writeFileSync(
      join(cwd, 'streams.yaml'),
      'streams:\n' +
        `  - id: trades\n    source: { url: "wss://feeduser:${SECRETS.sourcePassword}@127.0.0.1:9/ws?token=${SECRETS.sourceToken}" }\n` +
        '    analysis: { provider: openai, model: gpt-e2e }\n    budget: { usdPerDay: 1 }\n' +
        '  - id: logs\n    source: { url: ws://127.0.0.1:9/logs, format: text }\n' +
        '    analysis: { provider: heuristic }\n    compare: [{ provider: openai, model: gpt-e2e, sample: 0.5 }]\n',
    );
    env = {
      REDIS_URL: redisUrl,
      TURBOSTREAM_NAMESPACE: NAMESPACE,
      TURBOSTREAM_ENV_FILE: '/dev/null',
      OPENAI_API_KEY: SECRETS.openaiKey,
      LOG_FORMAT: 'json',
    };

    // What ingest would have written: messages, the first with both payloads in it.
    const now = Date.now();
    for (const [index, data] of [
      JSON.stringify({ seq: 0, note: `${SCRIPT_PAYLOAD} ${IMG_PAYLOAD}`, price: '101.5' }),
      JSON.stringify({ seq: 1, price: '100.1' }),
      JSON.stringify({ seq: 2, price: '100.2' }),
    ].entries())
      entries.push(
        (await redis.xadd(
          keys.messages('trades'),
          `${now - 60_000 + index}-0`,
          'kind',
          'message',
          'data',
          data,
          'receivedAt',
          String(now - 60_000 + index),
        )) as string,
      );
    // What the windower would have written: no live analyzer serves openai (MISSING).
    await redis.set(
      keys.streamStatus('trades'),
      JSON.stringify({
        v: 1,
        streamId: 'trades',
        owner: 'windower-e2e',
        targets: [{ provider: 'openai', model: 'gpt-e2e' }],
        overridden: false,
        unserved: [
          {
            provider: 'openai',
            model: 'gpt-e2e',
            variables: ['OPENAI_API_KEY'],
            waiting: 3,
            since: new Date(now - 30_000).toISOString(),
          },
        ],
        checkpoint: entries[2],
        backpressured: true,
        updatedAt: new Date(now).toISOString(),
      }),
    );
    // The stream's $1 a day, spent (BUDGET).
    const ledger = new BudgetLedger({ redis, keys });
    const scope = { scope: 'stream:trades', budget: { usdPerDay: 1 } };
    await ledger.reserve([scope], { usd: 0.6, tokens: 10 });
    expect((await ledger.reserve([scope], { usd: 0.6, tokens: 10 })).kind).toBe('exhausted');
    // What the analyzers would have recorded: four windows of openai/gpt-e2e on logs, and a 429.
    const log = new AnalysisLog({ redis, keys, onError: (error) => console.error(error) });
    const record = (index: number, ttftMs: number, totalMs: number): AnalysisRecord => ({
      v: 1,
      jobId: `logs.${index}-0.openai.gpt-e2e`,
      streamId: 'logs',
      windowId: `${index}-0`,
      provider: 'openai',
      model: 'gpt-e2e',
      messages: 50,
      analyzer: 'analyzer-e2e',
      outcome: 'completed',
      ttftMs,
      totalMs,
      inputTokens: 1_200,
      outputTokens: 80,
      costUsd: 0.0025,
      alerts: index === 1 ? [{ severity: 'warning', evidence: ['1-0'] }] : [],
    });
    for (const [index, [ttft, total]] of [
      [100, 900],
      [200, 1_000],
      [300, 1_100],
      [400, 1_500],
    ].entries())
      await log.append(record(index + 1, ttft as number, total as number));
    await log.append({
      v: 1,
      jobId: 'logs.9-0.openai.gpt-e2e',
      streamId: 'logs',
      windowId: '9-0',
      provider: 'openai',
      model: 'gpt-e2e',
      messages: 50,
      analyzer: 'analyzer-e2e',
      outcome: 'rate-limited',
      retryAfterMs: 1_000,
    });
    // A live analyzer of the heuristic provider.
    const presence = new AnalyzerPresence({
      redis,
      keys,
      instanceId: 'analyzer-e2e',
      providers: ['heuristic'],
      concurrency: 4,
    });
    await presence.start();
    stopPresence = () => presence.close();

    dashboard = await startDashboardProcess({ cwd, env });
    browser = await launchChromium();
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await dashboard?.process.stop();
    await stopPresence();
    await redis?.config('SET', 'requirepass', '').catch(() => {});
    redis?.disconnect();
  });

  /** A page on the dashboard; `pwned()` reads what the payloads would have set. */
  async function openPage(hash = '', options: { bypassCSP?: boolean } = {}): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, ...options });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(String(error)));
    await page.goto(`${dashboard.url}${hash}`);
    await page.waitForSelector('html[data-ready="true"]', { timeout: 10_000 });
    expect(problems).toEqual([]);
    return page;
  }

  const pwned = (page: Page) => page.evaluate<number>('window.__pwned ?? 0');

  redisTest(
    'shows each stream as `turbostream streams` does: masked source, targets, windower, MISSING, BUDGET',
    async () => {
      const page = await openPage('#streams');
      const trades = page.locator('article[data-stream-id="trades"]');
      await trades.locator('.alarm[data-kind="BUDGET"]').waitFor({ timeout: 10_000 });
      const cli = spawnSync(process.execPath, [...cliNodeFlags(), CLI, 'streams'], {
        cwd,
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
        encoding: 'utf8',
        timeout: 20_000,
      });
      expect(cli.status, cli.stderr).toBe(0);
      const lines = cli.stdout.split('\n').map((line) => line.trim());
      // The same states, worded the same.
      const alarms = await trades.locator('.alarm').allTextContents();
      expect(alarms).toHaveLength(2);
      for (const alarm of alarms) {
        const kind = alarm.startsWith('MISSING') ? 'MISSING' : 'BUDGET';
        expect(lines).toContain(`${kind.padEnd(9)} ${alarm.slice(kind.length)}`);
      }
      expect(alarms[0]).toMatch(
        /^MISSINGno live analyzer serves openai \(model gpt-e2e\) since .*: 3 jobs wait; set OPENAI_API_KEY/,
      );
      expect(alarms[1]).toMatch(/^BUDGETstream trades: usdPerDay spent; its windows wait until /);
      expect(await trades.locator('.url').textContent()).toBe('wss://feeduser:****@127.0.0.1:9/ws?…');
      expect(await trades.locator('dd.targets').textContent()).toContain('openai/gpt-e2e');
      expect(await trades.locator('dd.windower').textContent()).toContain('windower-e2e, checkpoint');
      expect(await trades.locator('dd.windower').textContent()).toContain('paused');
      const logs = page.locator('article[data-stream-id="logs"]');
      expect(await logs.locator('dd.targets').textContent()).toContain('heuristic/mad, openai/gpt-e2e@0.5');
      expect(await logs.locator('dd[data-provider="heuristic"]').textContent()).toContain('1 live analyzer;');
      expect(await logs.locator('dd.windower').textContent()).toContain('no windower owns this stream');
      // An operational event arrives live; its message's credentials and token never show.
      const events = new EventPublisher({ redis, keys, service: 'ingest' });
      await events.publish({
        type: 'source.down',
        streamId: 'trades',
        message: `source down: wss://feeduser:${SECRETS.sourcePassword}@127.0.0.1:9/ws?token=${SECRETS.sourceToken} refused`,
      });
      const event = page.locator('#events-list li[data-type="source.down"]');
      await event.waitFor({ timeout: 5_000 });
      expect(await event.textContent()).toContain(
        'trades: source down: wss://feeduser:****@127.0.0.1:9/ws?token=**** refused',
      );
      await page.screenshot({ path: artifactPath('dashboard-streams.png'), fullPage: true });
      await page.context().close();
    },
  );

  redisTest(
    'shows an alert within 5 s of its publication without a reload; filters by stream and severity; a click shows the cited messages',
    async () => {
      const page = await openPage('#alerts');
      // No reload: the page loads once, and what this document holds stays.
      let loads = 0;
      page.on('load', () => {
        loads += 1;
      });
      await page.evaluate('window.__sameDocument = true');
      const sameDocument = () => page.evaluate<boolean>('window.__sameDocument === true');
      const published: { id: string; ms: number }[] = [];
      const alerts = [
        sampleAlert({
          id: 'trades.a.openai.gpt-e2e.0',
          streamId: 'trades',
          windowId: entries[0] as string,
          severity: 'critical',
          title: `price spike ${IMG_PAYLOAD}`,
          summary: `the model wrote ${SCRIPT_PAYLOAD}`,
          evidence: [entries[0] as string, entries[1] as string, '1-0'],
          provider: 'openai',
          model: 'gpt-e2e',
          createdAt: new Date().toISOString(),
        }),
        sampleAlert({
          id: 'logs.b.heuristic.mad.0',
          streamId: 'logs',
          severity: 'warning',
          createdAt: new Date().toISOString(),
        }),
        sampleAlert({
          id: 'logs.c.heuristic.mad.0',
          streamId: 'logs',
          severity: 'info',
          createdAt: new Date().toISOString(),
        }),
      ];
      for (const [index, listed] of alerts.entries()) {
        // Published in this order, a millisecond apart: the page lists them newest first.
        const alert = { ...listed, createdAt: new Date(Date.now() + index).toISOString() };
        const started = performance.now();
        expect(await publisher.publish(alert)).toBe(true);
        await page.locator(`tr[data-alert-id="${alert.id}"]`).waitFor({ timeout: 5_000 });
        published.push({ id: alert.id, ms: performance.now() - started });
      }
      for (const { id, ms } of published) expect(ms, id).toBeLessThan(5_000);
      console.log(`dashboard: publish to DOM ${published.map(({ ms }) => `${Math.round(ms)} ms`).join(', ')}`);
      expect(loads).toBe(0);
      expect(await sameDocument()).toBe(true);
      const visible = () =>
        page
          .locator('#alerts-body tr:not([hidden])')
          .evaluateAll((rows) => rows.map((row) => row.getAttribute('data-alert-id')));
      expect(await visible()).toEqual([
        'logs.c.heuristic.mad.0',
        'logs.b.heuristic.mad.0',
        'trades.a.openai.gpt-e2e.0',
      ]);
      await page.selectOption('#filter-stream', 'logs');
      expect(await visible()).toEqual(['logs.c.heuristic.mad.0', 'logs.b.heuristic.mad.0']);
      await page.selectOption('#filter-severity', 'warning');
      expect(await visible()).toEqual(['logs.b.heuristic.mad.0']);
      expect(new URL(page.url()).hash).toBe('#alerts?stream=logs&severity=warning');
      expect(await page.locator('#alerts-count').textContent()).toBe('1 of 3 alerts');
      // A filtered view keeps its filter for alerts that come after.
      await publisher.publish(
        sampleAlert({
          id: 'logs.d.heuristic.mad.0',
          streamId: 'logs',
          severity: 'info',
          createdAt: new Date().toISOString(),
        }),
      );
      await page.locator('tr[data-alert-id="logs.d.heuristic.mad.0"]').waitFor({ state: 'attached', timeout: 5_000 });
      expect(await visible()).toEqual(['logs.b.heuristic.mad.0']);
      await page.selectOption('#filter-stream', 'trades');
      await page.selectOption('#filter-severity', 'critical');
      expect(await visible()).toEqual(['trades.a.openai.gpt-e2e.0']);
      // The title is text: the markup is shown, not made.
      expect(await page.locator('tr[data-alert-id="trades.a.openai.gpt-e2e.0"] td.title').textContent()).toBe(
        `price spike ${IMG_PAYLOAD}`,
      );
      await page.click('tr[data-alert-id="trades.a.openai.gpt-e2e.0"]');
      const evidence = page.locator('#alert-detail ol.evidence[aria-busy="false"]');
      await evidence.waitFor({ timeout: 5_000 });
      const cited = evidence.locator('li');
      expect(await cited.count()).toBe(3);
      expect(await cited.nth(0).getAttribute('data-entry-id')).toBe(entries[0]);
      expect(await cited.nth(0).locator('pre').textContent()).toContain(
        `"note": "${SCRIPT_PAYLOAD} ${IMG_PAYLOAD.replaceAll('"', '\\"')}"`,
      );
      expect(await cited.nth(1).locator('pre').textContent()).toContain('"price": "100.1"');
      expect(await cited.nth(2).getAttribute('data-found')).toBe('false');
      expect(await page.locator('#alert-detail .summary').textContent()).toBe(`the model wrote ${SCRIPT_PAYLOAD}`);
      expect(await page.locator('#alert-detail h3').textContent()).toBe(`price spike ${IMG_PAYLOAD}`);
      expect(await page.locator('img').count()).toBe(0);
      expect(await page.locator('main script').count()).toBe(0);
      expect(await pwned(page)).toBe(0);
      await page.screenshot({ path: artifactPath('dashboard-alerts.png'), fullPage: true });
      expect(loads).toBe(0);
      expect(await sameDocument()).toBe(true);
      await page.context().close();
    },
  );

  redisTest('renders feed and model text as text even with the Content-Security-Policy bypassed', async () => {
    const page = await openPage('#alerts?stream=trades', { bypassCSP: true });
    // The policy works where it is not bypassed: this page would refuse an inline script.
    const response = await fetch(dashboard.url);
    expect(response.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    expect(CONTENT_SECURITY_POLICY).toContain("default-src 'self'");
    expect(CONTENT_SECURITY_POLICY).not.toContain('unsafe-inline');
    await publisher.publish(
      sampleAlert({
        id: 'trades.x.openai.gpt-e2e.0',
        streamId: 'trades',
        severity: 'critical',
        title: `${SCRIPT_PAYLOAD}${IMG_PAYLOAD}`,
        summary: IMG_PAYLOAD,
        evidence: [entries[0] as string],
        createdAt: new Date().toISOString(),
      }),
    );
    const row = page.locator('tr[data-alert-id="trades.x.openai.gpt-e2e.0"]');
    await row.waitFor({ timeout: 5_000 });
    await row.click();
    await page.locator('#alert-detail ol.evidence[aria-busy="false"]').waitFor({ timeout: 5_000 });
    // Images would load (and fail) at once; give them a moment all the same.
    await page.waitForTimeout(300);
    expect(await row.locator('td.title').textContent()).toBe(`${SCRIPT_PAYLOAD}${IMG_PAYLOAD}`);
    expect(await page.locator('#alert-detail pre').first().textContent()).toContain(SCRIPT_PAYLOAD);
    expect(await page.locator('img').count()).toBe(0);
    expect(await pwned(page)).toBe(0);
    await page.context().close();
  });

  redisTest("shows the providers' figures as `turbostream report` computes them, and the live analyzers", async () => {
    const page = await openPage('#providers');
    const row = page.locator('section[data-stream-id="logs"] tr[data-target="openai/gpt-e2e"]');
    await row.waitFor({ timeout: 10_000 });
    const cells = await row.locator('td').allTextContents();
    // target, windows, alerted, c/w/i, ttft p50/p95, total p50/p95, tokens, cost, $/1k, failed, 429s
    expect(cells).toEqual([
      'openai/gpt-e2e',
      '4',
      '1',
      '0/1/0',
      '200/400',
      '1000/1500',
      '4800/320',
      '$0.01',
      '$0.05',
      '0',
      '1',
    ]);
    const report = spawnSync(process.execPath, [...cliNodeFlags(), CLI, 'report', '--json', '--stream', 'logs'], {
      cwd,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(report.status, report.stderr).toBe(0);
    const target = JSON.parse(report.stdout).streams[0].targets[0];
    expect(target.ttftMs).toEqual({ p50: 200, p95: 400 });
    expect(target.totalMs).toEqual({ p50: 1000, p95: 1500 });
    expect(target.rateLimited).toBe(1);
    expect(await page.locator('tr[data-instance="analyzer-e2e"]').textContent()).toContain('heuristic');
    expect(await page.locator('tr[data-instance="analyzer-e2e"] td:last-child').textContent()).toBe('live');
    await page.screenshot({ path: artifactPath('dashboard-providers.png'), fullPage: true });
    await page.context().close();
  });

  redisTest(
    "compares a stream's targets window by window, under the report's agreement figures; draws each stream's rate",
    async () => {
      // The heuristic's analyses of two of those windows: it alerted on 1-0, citing what openai cited, not on 2-0.
      const log = new AnalysisLog({ redis, keys, onError: (error) => console.error(error) });
      const heuristicAlerts: [string, { severity: 'critical'; evidence: string[] }[]][] = [
        ['1-0', [{ severity: 'critical', evidence: ['1-0'] }]],
        ['2-0', []],
      ];
      for (const [windowId, alerts] of heuristicAlerts)
        await log.append({
          v: 1,
          jobId: `logs.${windowId}.heuristic.mad`,
          streamId: 'logs',
          windowId,
          provider: 'heuristic',
          model: 'mad',
          messages: 50,
          analyzer: 'analyzer-e2e',
          outcome: 'completed',
          ttftMs: 1,
          totalMs: 2,
          inputTokens: 0,
          outputTokens: 0,
          costUsd: 0,
          alerts,
        });
      const page = await openPage('#compare');
      const logs = page.locator('section.stream-compare[data-stream-id="logs"]');
      await logs.waitFor({ timeout: 10_000 });
      expect(await logs.locator('thead th').allTextContents()).toEqual([
        'window',
        'recorded',
        'heuristic/mad',
        'openai/gpt-e2e',
      ]);
      // Newest first by when they were recorded: 2-0 and 1-0 (the heuristic's, just now), the 429 of 9-0, 4-0, 3-0.
      const cells = (windowId: string) => logs.locator(`tr[data-window-id="${windowId}"] td.cell`).allTextContents();
      expect(
        await logs.locator('tbody tr').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-window-id'))),
      ).toEqual(['2-0', '1-0', '9-0', '4-0', '3-0']);
      expect(await cells('9-0')).toEqual(['–', '429, waiting']);
      expect(await cells('1-0')).toEqual(['1 alert (critical)', '1 alert (warning)']);
      expect(await cells('2-0')).toEqual(['no alert', 'no alert']);
      expect(await cells('4-0')).toEqual(['–', 'no alert']);
      // The agreement as the providers view (and `turbostream report`) words it.
      const agreement = await page.locator('section.stream-score[data-stream-id="logs"] .agreement').allTextContents();
      expect(await logs.locator('.agreement').allTextContents()).toEqual(agreement);
      expect(agreement).toEqual([
        'heuristic/mad vs openai/gpt-e2e: 2 windows both analysed; both alerted 1, only heuristic/mad 0, only ' +
          'openai/gpt-e2e 0, neither 1 (agree on 100 %); evidence overlap 1.00 over 1 windows',
      ]);
      await page.screenshot({ path: artifactPath('dashboard-compare.png'), fullPage: true });
      // Each stream's messages per minute: the five windows of logs, 50 messages each, recorded just now.
      await page.evaluate('location.hash = "#streams"');
      const rate = page.locator('article[data-stream-id="logs"] .rate');
      await waitFor(async () => (await rate.getAttribute('data-total')) === '250', {
        timeoutMs: 5_000,
        description: 'the rate of logs',
      });
      expect(await rate.locator('svg.sparkline polyline').getAttribute('points')).toMatch(/^0,27 (\S+ ){28}160,1$/);
      expect(await rate.locator('svg.sparkline').getAttribute('aria-label')).toContain(
        '250 in all, 250 in the last minute',
      );
      expect(await page.locator('article[data-stream-id="trades"] .rate').getAttribute('data-total')).toBe('0');
      await page.context().close();
    },
  );

  redisTest('sends the browser no API key, no Redis password, no source credential or token', async () => {
    const texts: string[] = [];
    const get = async (path: string) => {
      const response = await fetch(new URL(path, dashboard.url));
      expect(response.status, path).toBe(200);
      texts.push(`${JSON.stringify([...response.headers])}\n${await response.text()}`);
    };
    await get('/');
    await get('/app.css');
    for (const script of [
      'dashboard/web/main.js',
      'dashboard/web/alerts-view.js',
      'dashboard/api.js',
      'report/figures.js',
    ])
      await get(`/app/${script}`);
    await get(`/api/evidence?stream=trades&ids=${entries.join(',')}`);
    // The live feed: hello, streams, providers, and what comes while it is read.
    const controller = new AbortController();
    const events = await fetch(new URL('/api/events', dashboard.url), { signal: controller.signal });
    const reader = (events.body as ReadableStream<Uint8Array>).getReader();
    let feed = '';
    await waitFor(
      async () => {
        const { value } = await reader.read();
        feed += new TextDecoder().decode(value);
        return feed.includes('event: streams') && feed.includes('event: providers') && feed.includes('event: hello');
      },
      { timeoutMs: 10_000, description: 'the dashboard to send hello, streams and providers' },
    );
    controller.abort();
    texts.push(feed);
    expect(feed).toContain('wss://feeduser:****@127.0.0.1:9/ws?…');
    // And everything a page holds once it has shown every view.
    const page = await openPage('#streams');
    await page.locator('article[data-stream-id="trades"]').waitFor();
    for (const view of ['#alerts', '#providers']) {
      await page.evaluate(`location.hash = ${JSON.stringify(view)}`);
      await page.waitForTimeout(200);
    }
    texts.push(await page.content(), await page.evaluate<string>('document.cookie'));
    await page.context().close();
    const everything = texts.join('\n');
    for (const [name, secret] of Object.entries(SECRETS)) expect(secretOccurrences(everything, secret), name).toBe(0);
  });

  redisTest(
    'is served by turbostream up too: the banner gives its address, which shows the demo stream and its alerts',
    async () => {
      const up = new ServiceProcess('up', ['up'], {
        cwd: mkdtempSync(join(tmpdir(), 'turbostream-dashboard-up-e2e-')),
        env: { ...env, DASHBOARD_PORT: '0', LOG_LEVEL: 'warn' },
      });
      try {
        const url = await waitFor(() => /turbostream: dashboard: (http:\/\/\S+)/.exec(up.output)?.[1], {
          timeoutMs: 30_000,
          description: "up's banner to give the dashboard's address",
        });
        const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
        const page = await context.newPage();
        await page.goto(`${url}#streams`);
        const demo = page.locator('article[data-stream-id="demo-market"]');
        await demo.waitFor({ timeout: 10_000 });
        expect(await demo.locator('dd.targets').textContent()).toContain('heuristic/mad');
        await page.click('nav a[data-view="alerts"]');
        const first = page.locator('#alerts-body tr[data-stream="demo-market"]').first();
        await first.waitFor({ timeout: 60_000 });
        // The picture of README's Dashboard section (docs/dashboard.png is a copy of it): an alert of the demo and
        // the messages it cites.
        await first.click();
        await page.locator('#alert-detail ol.evidence[aria-busy="false"]').waitFor({ timeout: 5_000 });
        await page.screenshot({ path: artifactPath('dashboard-demo.png') });
        await context.close();
      } finally {
        expect(await up.stop()).toBe(0);
      }
      expect(up.output).toContain('turbostream: stopped');
    },
    120_000,
  );

  redisTest('refuses to listen off loopback without DASHBOARD_TOKEN, and says how to set one', async () => {
    const refused = new ServiceProcess('dashboard-open', ['dashboard', '--host', '0.0.0.0', '--port', '0'], {
      cwd,
      env,
    });
    expect(await refused.exited).toBe(78);
    expect(refused.output).toContain('without a token: set DASHBOARD_TOKEN');
    expect(refused.output).not.toContain('dashboard at');
    // Loopback without a token: reads only, from loopback names only.
    expect((await fetch(dashboard.url, { method: 'POST' })).status).toBe(403);
  });

  redisTest(
    'with DASHBOARD_TOKEN, needs it for every request: ?token= once (then a cookie) or a bearer header',
    async () => {
      const guarded = await startDashboardProcess({
        cwd,
        env: { ...env, DASHBOARD_TOKEN: SECRETS.dashboardToken },
        args: ['--host', '0.0.0.0'],
      });
      try {
        for (const path of ['/', '/app/dashboard/web/main.js', '/api/events', '/api/evidence?stream=trades&ids=1-0']) {
          expect((await fetch(new URL(path, guarded.url))).status, path).toBe(401);
          expect(
            (await fetch(new URL(path, guarded.url), { headers: { Authorization: 'Bearer not-the-token-at-all' } }))
              .status,
            path,
          ).toBe(401);
        }
        const bearer = await fetch(new URL('/api/evidence?stream=trades&ids=1-0', guarded.url), {
          headers: { Authorization: `Bearer ${SECRETS.dashboardToken}` },
        });
        expect(bearer.status).toBe(200);
        const context = await browser.newContext();
        const page = await context.newPage();
        const denied = await page.goto(guarded.url);
        expect(denied?.status()).toBe(401);
        expect(await page.textContent('body')).toContain('needs its token');
        await page.goto(`${guarded.url}?token=${SECRETS.dashboardToken}#alerts`);
        await page.waitForSelector('html[data-ready="true"]', { timeout: 10_000 });
        // The token left the address; the cookie holds a proof of it that scripts cannot read.
        expect(page.url()).toBe(`${guarded.url}#alerts`);
        expect(await page.evaluate<string>('document.cookie')).toBe('');
        const [cookie] = await context.cookies();
        expect(cookie).toMatchObject({ name: 'turbostream_dashboard', httpOnly: true, sameSite: 'Strict' });
        expect(cookie?.value).not.toContain(SECRETS.dashboardToken);
        await page.reload();
        await page.waitForSelector('html[data-ready="true"]', { timeout: 10_000 });
        await context.close();
      } finally {
        await guarded.process.stop();
      }
    },
  );

  redisTest(
    "switches a stream's targets from the page as `turbostream streams set` does: with the token, from its own page only",
    async () => {
      // Without a token the page says why switching is off, and the server refuses it.
      const open = await openPage('#streams');
      const openForm = open.locator('form.switch[data-stream-id="logs"]');
      await openForm.waitFor({ timeout: 10_000 });
      expect(await openForm.locator('input[name="provider"]').isDisabled()).toBe(true);
      expect(await openForm.locator('.change-disabled').textContent()).toContain(
        'Switching is disabled: changes from the page need DASHBOARD_TOKEN',
      );
      await open.context().close();
      expect(
        (
          await fetch(new URL('/api/streams/targets', dashboard.url), {
            method: 'POST',
            headers: { 'Content-Type': 'application/json', 'X-TurboStream-Request': '1' },
            body: JSON.stringify({ stream: 'logs', provider: 'openai', model: 'x' }),
          })
        ).status,
      ).toBe(403);

      const guarded = await startDashboardProcess({ cwd, env: { ...env, DASHBOARD_TOKEN: SECRETS.dashboardToken } });
      const overrideOfLogs = async () => (await readTargetOverrides(redis, keys)).get('logs');
      const cliSet = (args: string[]) =>
        spawnSync(process.execPath, [...cliNodeFlags(), CLI, 'streams', 'set', 'logs', ...args], {
          cwd,
          env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
          encoding: 'utf8',
          timeout: 20_000,
        });
      try {
        const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
        const page = await context.newPage();
        await page.goto(`${guarded.url}?token=${SECRETS.dashboardToken}#streams`);
        await page.waitForSelector('html[data-ready="true"]', { timeout: 10_000 });
        const card = page.locator('article[data-stream-id="logs"]');
        const form = card.locator('form.switch');
        await form.waitFor({ timeout: 10_000 });
        expect(await form.locator('input[name="provider"]').isDisabled()).toBe(false);
        expect(await form.locator('.change-disabled').isHidden()).toBe(true);
        // Filled with the current targets.
        expect(await form.locator('input[name="provider"]').inputValue()).toBe('heuristic');
        expect(await form.locator('input[name="compare"]').inputValue()).toBe('openai/gpt-e2e@0.5');
        const result = form.locator('.switch-result');

        // Refused as `streams set` refuses, with its words, shown as text; nothing written.
        const refusals: [Record<string, string>, string[]][] = [
          [{ provider: 'skynet', model: 'm', compare: '' }, ['--provider', 'skynet', '--model', 'm', '--no-compare']],
          [
            { provider: 'heuristic', model: '', compare: 'openai/x@1.5' },
            ['--provider', 'heuristic', '--compare', 'openai/x@1.5'],
          ],
          [{ provider: '', model: '', compare: '' }, []],
        ];
        for (const [fields, args] of refusals) {
          for (const [name, value] of Object.entries(fields)) await form.locator(`input[name="${name}"]`).fill(value);
          await form.locator('button[type="submit"]').click();
          await form.locator('.switch-result[data-state="error"]').waitFor({ timeout: 5_000 });
          const shown = (await result.textContent()) ?? '';
          const cli = cliSet(args);
          expect(cli.status).toBe(2);
          expect(shown.length).toBeGreaterThan(10);
          expect(cli.stderr, JSON.stringify(fields)).toContain(shown.split('\n')[0]);
          expect(await overrideOfLogs()).toBeUndefined();
          await result.evaluate((element) => element.removeAttribute('data-state'));
        }
        expect(await result.textContent()).toContain('streams set needs --provider P (or --reset)');

        // Switched: the same override `streams set` writes, read by the windowers from the next window on.
        await form.locator('input[name="provider"]').fill('openai');
        await form.locator('input[name="model"]').fill('gpt-next');
        await form.locator('input[name="compare"]').fill('heuristic@0.25');
        await form.locator('button[type="submit"]').click();
        await form.locator('.switch-result[data-state="ok"]').waitFor({ timeout: 5_000 });
        expect(await result.textContent()).toContain(
          'stream logs: from the next window on, analysed by openai/gpt-next, heuristic/mad@0.25 ' +
            '(was heuristic/mad, openai/gpt-e2e@0.5)',
        );
        // No live analyzer serves openai here: the same warning as the command's.
        expect(await result.locator('.warning').allTextContents()).toEqual([
          'warning: no live analyzer serves openai right now: its windows wait in analysis-openai until one does',
        ]);
        const override = await overrideOfLogs();
        expect(override?.targets).toEqual([
          { provider: 'openai', model: 'gpt-next' },
          { provider: 'heuristic', model: 'mad' },
        ]);
        expect(override?.samples).toEqual({ 'heuristic/mad': 0.25 });
        expect(override?.setBy).toMatch(/^the dashboard \(/);
        // The card follows, as `turbostream streams` shows it.
        await waitFor(async () => (await card.locator('dd.targets').textContent())?.includes('openai/gpt-next'), {
          timeoutMs: 5_000,
          description: 'the card to show the new targets',
        });
        expect(await card.locator('dd.targets').textContent()).toContain(
          'openai/gpt-next, heuristic/mad@0.25 (set while running by the dashboard (',
        );
        await page.screenshot({ path: artifactPath('dashboard-switch.png'), fullPage: true });

        // Refused: no token, the cookie without the page's header, another origin (even with the cookie or the bearer).
        const targetsUrl = new URL('/api/streams/targets', guarded.url);
        const post = (headers: Record<string, string>) =>
          fetch(targetsUrl, {
            method: 'POST',
            headers: { 'Content-Type': 'application/json', ...headers },
            body: JSON.stringify({ stream: 'logs', provider: 'heuristic', noCompare: true }),
          });
        const session = `turbostream_dashboard=${sessionValue(SECRETS.dashboardToken)}`;
        expect((await post({ 'X-TurboStream-Request': '1' })).status).toBe(401);
        expect((await post({ Cookie: session })).status).toBe(403);
        expect(
          (await post({ Cookie: session, 'X-TurboStream-Request': '1', Origin: 'http://evil.example' })).status,
        ).toBe(403);
        expect(
          (
            await post({
              Authorization: `Bearer ${SECRETS.dashboardToken}`,
              Origin: `http://127.0.0.1:${new URL(dashboard.url).port}`,
            })
          ).status,
        ).toBe(403);
        // From a page of another origin in the same browser (the token-less dashboard, another port: the same site,
        // so the SameSite cookie goes along): refused, by the preflight or the Origin check.
        // Its Content-Security-Policy (connect-src 'self') would stop the page's fetch first: bypassed, to reach the
        // guarded dashboard's own checks, with this browser's cookie.
        const otherContext = await browser.newContext({ bypassCSP: true });
        await otherContext.addCookies(await context.cookies());
        const other = await otherContext.newPage();
        await other.goto(`${dashboard.url}#streams`);
        const attempts = await other.evaluate(async (url: string) => {
          const tries: string[] = [];
          for (const [mode, headers] of [
            ['no-cors', { 'Content-Type': 'text/plain' }],
            ['cors', { 'Content-Type': 'application/json', 'X-TurboStream-Request': '1' }],
          ] as const) {
            try {
              const response = await fetch(url, {
                method: 'POST',
                credentials: 'include',
                mode,
                headers,
                body: JSON.stringify({ stream: 'logs', provider: 'heuristic', noCompare: true }),
              });
              tries.push(`sent ${response.type}`);
            } catch (error) {
              tries.push(String(error));
            }
          }
          return tries;
        }, targetsUrl.href);
        // The simple request is refused by the Origin check (a 403 the page cannot even read: the dashboard's answers
        // are same-origin only); the one with the header fails its preflight. Nothing changed.
        expect(attempts).toEqual(['TypeError: Failed to fetch', 'TypeError: Failed to fetch']);
        await otherContext.close();
        expect((await overrideOfLogs())?.targets[0]).toEqual({ provider: 'openai', model: 'gpt-next' });

        // Back to the streams file's targets, as `streams set --reset` does.
        await form.locator('button[name="reset"]').click();
        await waitFor(async () => (await result.textContent())?.includes('back to'), {
          timeoutMs: 5_000,
          description: 'the reset to be confirmed',
        });
        expect(await result.textContent()).toBe(
          "stream logs: back to the streams file's targets: heuristic/mad, openai/gpt-e2e@0.5",
        );
        expect(await overrideOfLogs()).toBeUndefined();
        await context.close();
      } finally {
        await guarded.process.stop();
      }
    },
  );

  redisTest(
    'asks a stream from its card as `turbostream ask` does: the answer streams in token by token, as text, with its figures',
    async () => {
      const fake = await startFakeOpenAI({ apiKey: SECRETS.openaiKey });
      const guarded = await startDashboardProcess({
        cwd,
        env: { ...env, DASHBOARD_TOKEN: SECRETS.dashboardToken, OPENAI_BASE_URL: fake.url },
      });
      let release = () => {};
      try {
        const pieces = ['Yes: one spike ', `${IMG_PAYLOAD} `, 'at seq 0, ', 'then back to 100.1.'];
        const before = pieces.slice(0, -1).join('');
        const held = new Promise<void>((resolve) => {
          release = resolve;
        });
        let lastSent = false;
        // One delta a character; the last piece held back until the page has shown the ones before.
        fake.setHandler(() => ({
          content: pieces.join(''),
          chunkSize: 1,
          usage: { promptTokens: 1500, completionTokens: 12 },
          beforeChunk: async (index) => {
            if (index === before.length) {
              await held;
              lastSent = true;
            }
          },
        }));
        const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
        const page = await context.newPage();
        await page.goto(`${guarded.url}?token=${SECRETS.dashboardToken}#streams`);
        await page.waitForSelector('html[data-ready="true"]', { timeout: 10_000 });
        const form = page.locator('form.ask[data-stream-id="trades"]');
        await form.waitFor({ timeout: 10_000 });
        expect(await form.locator('textarea').isDisabled()).toBe(false);
        await form.locator('textarea').fill('Was there a price spike?');
        await form.locator('input[name="model"]').fill('gpt-4.1-mini');
        await form.locator('button[type="submit"]').click();
        const answer = form.locator('.answer');
        // Streaming: the page shows the answer so far while the model still holds its last piece back.
        await waitFor(async () => (await answer.textContent()) === before, {
          timeoutMs: 15_000,
          description: 'the answer so far on the page',
        });
        expect(lastSent).toBe(false);
        expect(Number(await answer.getAttribute('data-tokens'))).toBe(before.length);
        expect(await form.locator('.ask-status').textContent()).toMatch(
          /^asking openai\/gpt-4\.1-mini about the latest 3 messages of trades \(/,
        );
        release();
        await page.locator('form.ask[data-stream-id="trades"][data-state="done"]').waitFor({ timeout: 10_000 });
        // The model's markup is text: nothing made, nothing run.
        expect(await answer.textContent()).toBe(pieces.join(''));
        expect(await answer.locator('img').count()).toBe(0);
        expect(await pwned(page)).toBe(0);
        expect(await form.locator('[data-figure="ttft"]').textContent()).toMatch(/^time to first token \d/);
        expect(await form.locator('[data-figure="total"]').textContent()).toMatch(/^total \d/);
        expect(await form.locator('[data-figure="tokens"]').textContent()).toBe('tokens 1500 in / 12 out');
        // gpt-4.1-mini: 1500 in × $0.40 + 12 out × $1.60 per million tokens.
        expect(await form.locator('[data-figure="cost"]').textContent()).toBe('$0.000619');
        const [system] = chatMessages(fake.requests.at(-1) ?? { method: '', path: '', headers: {}, body: {} });
        expect(system?.content).toContain('<user_question>\nWas there a price spike?\n</user_question>');
        await page.screenshot({ path: artifactPath('dashboard-ask.png'), fullPage: true });

        // Questions that cannot be asked say why (AskError), as text; no call is made.
        const calls = fake.requests.length;
        const refused: [string, string, RegExp][] = [
          ['anthropic', 'claude-x', /^provider anthropic is not configured: set ANTHROPIC_API_KEY/],
          ['heuristic', '', /^heuristic cannot answer questions/],
          ['skynet', '', /unknown provider "skynet"/],
        ];
        for (const [providerName, modelName, message] of refused) {
          await form.locator('input[name="provider"]').fill(providerName);
          await form.locator('input[name="model"]').fill(modelName);
          await form.locator('button[type="submit"]').click();
          await page.locator('form.ask[data-stream-id="trades"][data-state="error"]').waitFor({ timeout: 5_000 });
          expect(await form.locator('.ask-status').textContent()).toMatch(message);
          expect(await answer.textContent()).toBe('');
          await form.evaluate((element) => element.removeAttribute('data-state'));
        }
        expect(fake.requests.length).toBe(calls);
        await context.close();

        // The token and the page's header are needed; a dashboard without a token refuses.
        const askUrl = new URL('/api/ask', guarded.url);
        const post = (url: URL, headers: Record<string, string>) =>
          fetch(url, {
            method: 'POST',
            headers: { 'Content-Type': 'application/json', ...headers },
            body: JSON.stringify({ stream: 'trades', question: 'anything?' }),
          });
        const session = `turbostream_dashboard=${sessionValue(SECRETS.dashboardToken)}`;
        expect((await post(askUrl, { 'X-TurboStream-Request': '1' })).status).toBe(401);
        expect((await post(askUrl, { Cookie: session })).status).toBe(403);
        expect(
          (await post(askUrl, { Cookie: session, 'X-TurboStream-Request': '1', Origin: 'http://x.example' })).status,
        ).toBe(403);
        expect((await post(new URL('/api/ask', dashboard.url), { 'X-TurboStream-Request': '1' })).status).toBe(403);
        expect(fake.requests.length).toBe(calls);
      } finally {
        release();
        await guarded.process.stop();
        await fake.close();
      }
    },
  );
});

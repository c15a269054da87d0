/**
 * Switching a stream's model from the dashboard's page, end to end: the data path as separate processes (the pipeline
 * harness: a loopback source, ingest, windower, two analyzers, a fake OpenAI) and `turbostream dashboard` with a token,
 * in a real headless Chromium. The stream's model is switched on its card; the windower takes it from the next window
 * on (its `stream.targets-changed` event shows on the page), and the alerts of the windows that follow name the new
 * model, on the alerts channel and on the page.
 */
import { waitFor } from '@turbostream/testkit';
import { redisTest } from '@turbostream/testkit/redis-test';
import type { Redis } from 'ioredis';
import type { Browser } from 'playwright-core';
import { afterAll, describe, expect } from 'vitest';
import { artifactPath, launchChromium } from './support/browser.js';
import { type DashboardProcess, startDashboardProcess } from './support/dashboard-process.js';
import { PipelineHarness } from './support/pipeline-harness.js';

const TOKEN = 'dashboard-switch-e2e-token-5d81c0';

describe('switching a stream from the dashboard', () => {
  let pipeline: PipelineHarness<Redis>;
  let dashboard: DashboardProcess;
  let browser: Browser;

  redisTest.beforeAll(async ({ server }) => {
    pipeline = await PipelineHarness.start({
      redisUrl: server.url,
      client: () => server.client(),
      namespace: 'e2e-dashboard-switch',
      streams: ['ticks'],
      subscribe: () => '{"op":"subscribe"}',
    });
    dashboard = await startDashboardProcess({
      cwd: pipeline.cwd,
      env: { ...pipeline.env, DASHBOARD_TOKEN: TOKEN, LOG_LEVEL: 'warn' },
    });
    browser = await launchChromium();
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await dashboard?.process.stop();
    await pipeline?.stop();
  });

  redisTest(
    'the next windows are analysed by the model chosen on the page, and their alerts name it',
    async () => {
      // Before: the streams file's model.
      await pipeline.sendMessages(30);
      await waitFor(() => pipeline.alertsSeen.some((alert) => alert.model === 'gpt-e2e'), {
        timeoutMs: 20_000,
        description: 'an alert of the streams file model',
      });
      const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
      const page = await context.newPage();
      await page.goto(`${dashboard.url}?token=${TOKEN}#streams`);
      await page.waitForSelector('html[data-ready="true"]', { timeout: 10_000 });
      const form = page.locator('form.switch[data-stream-id="ticks"]');
      await form.waitFor({ timeout: 10_000 });
      await form.locator('input[name="model"]').fill('gpt-switched');
      await form.locator('button[type="submit"]').click();
      await form.locator('.switch-result[data-state="ok"]').waitFor({ timeout: 5_000 });
      expect(await form.locator('.switch-result').textContent()).toContain(
        'stream ticks: from the next window on, analysed by openai/gpt-switched (was openai/gpt-e2e)',
      );
      // The windower takes it (its event reaches the page), without a restart.
      await page.locator('#events-list li[data-type="stream.targets-changed"]').first().waitFor({ timeout: 15_000 });
      const switchedAt = Date.now();
      await pipeline.sendMessages(30);
      const afterSwitch = () =>
        pipeline.alertsSeen.filter((alert) => alert.streamId === 'ticks' && Date.parse(alert.window.from) > switchedAt);
      await waitFor(() => afterSwitch().length > 0, {
        timeoutMs: 30_000,
        description: 'an alert of a window after the switch',
      });
      expect(afterSwitch().map((alert) => alert.model)).toEqual(afterSwitch().map(() => 'gpt-switched'));
      // And the page shows it as it comes.
      const newest = afterSwitch()[0];
      await page.click('nav a[data-view="alerts"]');
      const row = page.locator(`tr[data-alert-id="${newest?.id}"]`);
      await row.waitFor({ timeout: 10_000 });
      expect(await row.locator('td').nth(4).textContent()).toBe('openai/gpt-switched');
      await page.screenshot({ path: artifactPath('dashboard-switched.png'), fullPage: true });
      await context.close();
    },
    120_000,
  );
});

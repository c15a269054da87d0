import { formatProblem, maskSecret, PROVIDER_VARIABLES, streamsFileName, type TurboConfig } from '@turbostream/config';
import { loadPriceFile, type ModelPrice, PriceBook } from '@turbostream/costs';
import { modelVariable, PROVIDER_IDS, type ProviderId, type Window, redactUrl } from '@turbostream/contracts';
import { escapeForTerminal } from '@turbostream/logging';
import { createProvider, ProviderError } from '@turbostream/providers';
import { closeRedis, createKeyLayout, liveAnalyzers, redactRedisUrl } from '@turbostream/redis';
import { loadConfigOrExit } from '../runtime/load.js';
import { commandTarget } from '../runtime/local-instance.js';
import { connectForCommand } from '../runtime/redis-bootstrap.js';

/** A one-message window asking for nothing: the cheapest call that exercises the whole path. */
function checkWindow(): Window {
  const now = Date.now();
  const id = `${now}-0`;
  return {
    streamId: 'providers-check',
    windowId: id,
    firstEntryId: id,
    lastEntryId: id,
    closedBy: 'messages',
    bytes: 11,
    from: now,
    to: now,
    messages: [{ id, data: '{"check":1}', receivedAt: now }],
    gaps: [],
  };
}

interface CheckResult {
  ok: boolean;
  model?: string;
  ttftMs?: number;
  totalMs?: number;
  inputTokens?: number;
  outputTokens?: number;
  /** What the check call cost, `null` when its model has no price. */
  costUsd?: number | null;
  error?: string;
}

/** Dollars as prices are written: enough digits to show $0.075, none wasted on $15. */
function dollars(value: number): string {
  return `$${Number(value.toFixed(4))}`;
}

/** A price on one line: `$0.40 in, $0.10 cached, $1.60 out per million tokens (source, 2026-11-30)`. */
export function describePrice(price: ModelPrice): string {
  const parts = [
    `${dollars(price.inputPerMTok)} in`,
    `${dollars(price.cachedInputPerMTok)} cached`,
    ...(price.cacheWritePerMTok !== undefined ? [`${dollars(price.cacheWritePerMTok)} cache write`] : []),
    `${dollars(price.outputPerMTok)} out`,
  ];
  return `${parts.join(', ')} per million tokens (${price.source}, ${price.asOf})`;
}

async function check(config: TurboConfig, id: ProviderId, prices: PriceBook): Promise<CheckResult> {
  const settings = config.providers[id];
  if (!settings.model)
    return { ok: false, error: `no model to call: set ${modelVariable(id) ?? 'its model variable'}` };
  try {
    const provider = createProvider(id, settings, { heuristic: { threshold: config.heuristic.threshold } });
    const result = await provider.analyze({
      model: settings.model,
      instructions: 'This is a connectivity check: answer with an empty alerts list.',
      window: checkWindow(),
      maxTokens: Math.min(config.llm.maxTokens, 256),
      temperature: 0,
      timeoutMs: config.llm.timeoutMs,
    });
    return {
      ok: true,
      model: settings.model,
      ttftMs: result.timings.ttftMs,
      totalMs: result.timings.totalMs,
      inputTokens: result.usage.inputTokens,
      outputTokens: result.usage.outputTokens,
      costUsd: prices.costOf(id, settings.model, result.usage),
    };
  } catch (error) {
    const kind = ProviderError.isInstance(error)
      ? `${error.kind}${error.statusCode ? ` ${error.statusCode}` : ''}: `
      : '';
    // A provider's message can quote the model's answer: shown escaped.
    return {
      ok: false,
      model: settings.model,
      error: escapeForTerminal(`${kind}${error instanceof Error ? error.message : String(error)}`),
    };
  }
}

export async function providers({ checkCalls, json }: { checkCalls: boolean; json: boolean }): Promise<number> {
  const config = loadConfigOrExit();
  const target = await commandTarget(config, process.cwd());
  if (target.note) process.stderr.write(`${target.note}\n`);
  const keys = createKeyLayout(target.namespace);
  let live: Map<ProviderId, number> | string;
  try {
    const redis = await connectForCommand(target.redis, 'turbostream:providers');
    live = new Map();
    for (const id of PROVIDER_IDS) live.set(id, (await liveAnalyzers(redis, keys, id, Date.now())).length);
    await closeRedis(redis);
  } catch {
    live = `Redis at ${redactRedisUrl(target.redis.url)} does not answer`;
  }
  // The prices the analyzer would use: the built-in table with the price file over it.
  const prices = new PriceBook();
  const pricesFile = streamsFileName(config.pricesFile, process.cwd());
  const { problems } = loadPriceFile(prices, config.pricesFile, pricesFile);
  for (const problem of problems)
    process.stderr.write(`warning: price file not used (built-in prices shown): ${formatProblem(problem)}\n`);
  const noPrice = `no price: costUsd will be null; add it to ${pricesFile}`;
  const rows = [];
  for (const id of PROVIDER_IDS) {
    const settings = config.providers[id];
    // The default model's price, for a configured provider that has one: what its alerts' costUsd will use.
    const price = settings.configured && settings.model ? (prices.priceOf(id, settings.model) ?? null) : undefined;
    rows.push({
      id,
      configured: settings.configured,
      missing: settings.missing,
      variables: PROVIDER_VARIABLES[id],
      key: settings.apiKey === undefined ? undefined : maskSecret(settings.apiKey),
      model: settings.model,
      baseURL: settings.baseURL === undefined ? undefined : redactUrl(settings.baseURL),
      liveAnalyzers: typeof live === 'string' ? undefined : live.get(id),
      price,
      ...(price === null ? { priceWarning: noPrice } : {}),
      check: checkCalls && settings.configured ? await check(config, id, prices) : undefined,
    });
  }
  if (json) {
    process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
  } else {
    for (const row of rows) {
      const state = row.configured ? 'configured' : `not configured: set ${row.missing.join(', ')}`;
      const details = [
        row.key && `key ${row.key}`,
        row.model ? `model ${row.model}` : row.configured ? 'no default model' : undefined,
        row.baseURL && `base URL ${row.baseURL}`,
      ].filter(Boolean);
      process.stdout.write(`${row.id.padEnd(13)} ${state}${details.length ? `; ${details.join(', ')}` : ''}\n`);
      if (row.liveAnalyzers !== undefined)
        process.stdout.write(`${''.padEnd(13)} live analyzers serving it: ${row.liveAnalyzers}\n`);
      if (row.price !== undefined)
        process.stdout.write(
          `${''.padEnd(13)} ${row.price ? `price of ${row.model}: ${describePrice(row.price)}` : `${row.model}: ${noPrice}`}\n`,
        );
      if (row.check) {
        process.stdout.write(
          row.check.ok
            ? `${''.padEnd(13)} check OK with ${row.check.model}: time to first ` +
                `token ${Math.round(row.check.ttftMs ?? 0)} ms, total ${Math.round(row.check.totalMs ?? 0)} ms, ` +
                `tokens ${row.check.inputTokens} in / ${row.check.outputTokens} out` +
                `${typeof row.check.costUsd === 'number' ? `, cost $${row.check.costUsd.toPrecision(3)}` : ''}\n`
            : `${''.padEnd(13)} check FAILED${row.check.model ? ` with ${row.check.model}` : ''}: ${row.check.error}\n`,
        );
      }
    }
    if (typeof live === 'string') process.stdout.write(`(live analyzers unknown: ${live})\n`);
  }
  return rows.some((row) => row.check && !row.check.ok) ? 1 : 0;
}

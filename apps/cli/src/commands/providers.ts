import { maskSecret, PROVIDER_VARIABLES, type TurboConfig } from '@turbostream/config';
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
  error?: string;
}

async function check(config: TurboConfig, id: ProviderId): Promise<CheckResult> {
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
  const rows = [];
  for (const id of PROVIDER_IDS) {
    const settings = config.providers[id];
    rows.push({
      id,
      configured: settings.configured,
      missing: settings.missing,
      variables: PROVIDER_VARIABLES[id],
      key: settings.apiKey === undefined ? undefined : maskSecret(settings.apiKey),
      model: settings.model,
      baseURL: settings.baseURL === undefined ? undefined : redactUrl(settings.baseURL),
      liveAnalyzers: typeof live === 'string' ? undefined : live.get(id),
      check: checkCalls && settings.configured ? await check(config, id) : undefined,
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
      if (row.check) {
        process.stdout.write(
          row.check.ok
            ? `${''.padEnd(13)} check OK with ${row.check.model}: time to first ` +
                `token ${Math.round(row.check.ttftMs ?? 0)} ms, total ${Math.round(row.check.totalMs ?? 0)} ms, ` +
                `tokens ${row.check.inputTokens} in / ${row.check.outputTokens} out\n`
            : `${''.padEnd(13)} check FAILED${row.check.model ? ` with ${row.check.model}` : ''}: ${row.check.error}\n`,
        );
      }
    }
    if (typeof live === 'string') process.stdout.write(`(live analyzers unknown: ${live})\n`);
  }
  return rows.some((row) => row.check && !row.check.ok) ? 1 : 0;
}

import { PROVIDER_IDS, redactUrl, sampleOf } from '@turbostream/contracts';
import { maskSecret } from './mask.js';
import type { TurboConfig } from './load-config.js';

/** The effective configuration as text, secrets masked (`turbostream config check`). */
export function describeConfig(config: TurboConfig): string {
  const lines: string[] = [];
  const redisNodes = config.redis.nodes.map(redactUrl).join(', ');
  lines.push(
    `redis        ${config.redis.cluster ? `cluster, seed nodes ${redisNodes}` : redactUrl(config.redis.url)}` +
      `${config.redis.explicit ? '' : ' (default; REDIS_URL not set)'}`,
  );
  lines.push(`namespace    ${config.namespace}`);
  lines.push(`streams file ${config.streamsFile ?? '(none: turbostream up runs the built-in demo)'}`);
  lines.push(`prices file  ${config.pricesFile} (optional: read by the analyzer over the built-in prices)`);
  lines.push(`default provider ${config.defaultProvider ?? '(none)'}`);
  lines.push('');
  lines.push('providers');
  for (const id of PROVIDER_IDS) {
    const provider = config.providers[id];
    const state = provider.configured ? 'configured' : `not configured (set ${provider.missing.join(', ')})`;
    const details = [
      provider.apiKey !== undefined ? `key ${maskSecret(provider.apiKey)}` : undefined,
      provider.model !== undefined ? `model ${provider.model}` : undefined,
      provider.baseURL !== undefined ? `base URL ${redactUrl(provider.baseURL)}` : undefined,
    ].filter((part) => part !== undefined);
    lines.push(`  ${id.padEnd(13)} ${state}${details.length > 0 ? `; ${details.join(', ')}` : ''}`);
  }
  lines.push('');
  lines.push('streams');
  if (config.streams.length === 0) lines.push('  (none)');
  for (const stream of config.streams) {
    const headers = Object.keys(stream.source.headers);
    lines.push(
      `  ${stream.id}  ${redactUrl(stream.source.url)}  ` +
        `(${stream.source.format}, ${stream.source.subscribe.length} subscribe messages` +
        `${headers.length > 0 ? `, headers ${headers.join(', ')}` : ''})`,
    );
    lines.push(
      `    window   ${stream.window.maxMessages} messages / ${stream.window.maxBytes} bytes ` +
        `/ ${stream.window.maxSeconds} s`,
    );
    for (const [index, target] of stream.targets.entries()) {
      const configured = config.providers[target.provider].configured ? '' : '  [provider not configured here]';
      const sample = index === 0 ? 1 : sampleOf(stream.samples, target);
      const share = sample < 1 ? `  (sample ${sample}: about ${Math.round(sample * 1000) / 10} % of the windows)` : '';
      lines.push(
        `    ${index === 0 ? 'target ' : 'compare'}  ${target.provider} / ${target.model}${share}${configured}`,
      );
    }
  }
  lines.push('');
  lines.push(
    `llm          max tokens ${config.llm.maxTokens}, temperature ${config.llm.temperature}, ` +
      `timeout ${config.llm.timeoutMs} ms`,
  );
  lines.push(
    `ingest       max frame ${config.ingest.maxFrameBytes} bytes, buffer ${config.ingest.maxBufferedMessages} ` +
      `messages or ${config.ingest.maxBufferedBytes} bytes, batch ${config.ingest.batchSize}, ping every ${config.ingest.pingIntervalMs} ms`,
  );
  lines.push(
    `windower     poll ${config.windower.pollMs} ms, lease ${config.windower.leaseMs} ms, max ` +
      `queued ${config.windower.maxQueued}, retention ${config.windower.retentionMs} ms`,
  );
  const health =
    config.health.port > 0
      ? `http://${config.health.host}:${config.health.port}/healthz and /readyz`
      : 'off (HEALTH_PORT not set)';
  lines.push(`health       ${health}; shutdown deadline ${config.shutdownTimeoutMs} ms`);
  lines.push(
    `dashboard    http://${config.dashboard.host.includes(':') ? `[${config.dashboard.host}]` : config.dashboard.host}:` +
      `${config.dashboard.port} (turbostream dashboard); token ` +
      `${config.dashboard.token === undefined ? '(not set: loopback only)' : maskSecret(config.dashboard.token)}`,
  );
  lines.push(
    `analyzer     concurrency ${config.analyzer.concurrency}, lock ${config.analyzer.lockMs} ms, ` +
      `attempts ${config.analyzer.attempts}`,
  );
  return lines.join('\n');
}

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeConfig } from './describe-config.js';
import { loadConfig } from './load-config.js';
import { formatProblems } from './problems.js';

function workspace(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'turbostream-config-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

const STREAMS = `
streams:
  - id: btc-trades
    source:
      url: wss://example.com/ws
      subscribe:
        - '{"method":"SUBSCRIBE","params":["btcusdt@trade"],"id":1}'
        - { method: SUBSCRIBE, id: 2 }
    window: { maxMessages: 50 }
    analysis:
      provider: openai
      instructions: Alert on price moves.
    compare:
      - { provider: heuristic }
`;

describe('loadConfig', () => {
  it('loads env.local and streams.yaml, with defaults and resolved targets', () => {
    const cwd = workspace({ 'env.local': 'OPENAI_API_KEY=sk-test-1234567890abcd\nOPENAI_MODEL=gpt-test\n', 'streams.yaml': STREAMS });
    const result = loadConfig({ env: {}, cwd });
    if (!result.ok) throw new Error(formatProblems(result.problems));
    const [stream] = result.config.streams;
    expect(stream?.window).toEqual({ maxMessages: 50, maxBytes: 262144, maxSeconds: 10 });
    expect(stream?.source.subscribe[1]).toBe('{"method":"SUBSCRIBE","id":2}');
    expect(stream?.targets).toEqual([
      { provider: 'openai', model: 'gpt-test' },
      { provider: 'heuristic', model: 'mad' },
    ]);
    expect(result.config.redis).toEqual({ url: 'redis://127.0.0.1:6379', explicit: false, cluster: false, nodes: ['redis://127.0.0.1:6379'] });
    expect(result.config.providers.openai.configured).toBe(true);
    expect(result.config.providers.anthropic).toMatchObject({ configured: false, missing: ['ANTHROPIC_API_KEY'] });
  });

  it('lets real environment variables win over env.local', () => {
    const cwd = workspace({ 'env.local': 'REDIS_URL=redis://file:6379\nLLM_TIMEOUT_MS=5000\n' });
    const result = loadConfig({ env: { REDIS_URL: 'redis://env:6380' }, cwd });
    expect(result.ok && result.config.redis).toEqual({ url: 'redis://env:6380', explicit: true, cluster: false, nodes: ['redis://env:6380'] });
    expect(result.ok && result.config.llm.timeoutMs).toBe(5000);
  });

  it('takes a Redis Cluster from REDIS_CLUSTER or from a list of seed nodes', () => {
    const cwd = workspace({});
    const flagged = loadConfig({ env: { REDIS_URL: 'redis://node-a:7000', REDIS_CLUSTER: 'true' }, cwd });
    expect(flagged.ok && flagged.config.redis).toEqual({ url: 'redis://node-a:7000', explicit: true, cluster: true, nodes: ['redis://node-a:7000'] });
    const listed = loadConfig({ env: { REDIS_URL: 'rediss://:pw@node-a:7000, rediss://:pw@node-b:7001' }, cwd });
    expect(listed.ok && listed.config.redis).toMatchObject({ cluster: true, nodes: ['rediss://:pw@node-a:7000', 'rediss://:pw@node-b:7001'] });
    const bad = loadConfig({ env: { REDIS_URL: 'redis://a:1,nope', REDIS_CLUSTER: 'maybe' }, cwd });
    expect(!bad.ok && formatProblems(bad.problems)).toContain('REDIS_URL: expected a redis:// or rediss:// URL, or a comma-separated list');
    expect(!bad.ok && formatProblems(bad.problems)).toContain('REDIS_CLUSTER: expected true or false');
  });

  it('names the file, the variable and what is expected for a bad env.local value', () => {
    const cwd = workspace({ 'env.local': 'LLM_TIMEOUT_MS=soon\nOPENAI_BASE_URL=localhost:8080\nthis line is wrong\n' });
    const result = loadConfig({ env: { REDIS_URL: 'http://x' }, cwd });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const text = formatProblems(result.problems);
    expect(text).toContain('env.local: line 3: expected KEY=value');
    expect(text).toContain('env.local: LLM_TIMEOUT_MS: expected a timeout in milliseconds (got "soon")');
    expect(text).toContain('env.local: OPENAI_BASE_URL: expected an http:// or https:// URL');
    expect(text).toContain('environment: REDIS_URL: expected a redis:// or rediss:// URL');
  });

  it('never shows a secret value in a problem', () => {
    const cwd = workspace({});
    const result = loadConfig({ env: { OPENAI_API_KEY: 'sk-secret-value-123456', LLM_TEMPERATURE: 'hot' }, cwd });
    expect(result.ok).toBe(false);
    expect(JSON.stringify(result)).not.toContain('sk-secret-value-123456');
  });

  it('names the field of a malformed streams.yaml', () => {
    const cwd = workspace({
      'streams.yaml': `streams:\n  - id: Bad Id\n    source: { url: http://x }\n    window: { maxMessages: many, maxSecs: 3 }\n    analysis: { provider: nobody }\n`,
    });
    const result = loadConfig({ env: {}, cwd });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const text = formatProblems(result.problems);
    expect(text).toContain('streams.yaml: streams[0].id: expected 1-64 characters');
    expect(text).toContain('streams.yaml: streams[0].source.url: expected a ws:// or wss:// URL');
    expect(text).toContain('streams.yaml: streams[0].window.maxMessages: expected a message count');
    expect(text).toContain('streams.yaml: streams[0].window.maxSecs: unknown field');
  });

  it('reports YAML syntax errors with a line and column', () => {
    const cwd = workspace({ 'streams.yaml': 'streams:\n  - id: a\n    source: { url: "wss://x\n' });
    const result = loadConfig({ env: {}, cwd });
    expect(!result.ok && formatProblems(result.problems)).toMatch(/streams\.yaml:\d+:\d+: not valid YAML/);
  });

  it('requires an explicit provider and model: no silent defaults', () => {
    const cwd = workspace({ 'streams.yaml': 'streams:\n  - id: a\n    source: { url: wss://x }\n  - id: b\n    source: { url: wss://x }\n    analysis: { provider: anthropic }\n' });
    const result = loadConfig({ env: {}, cwd });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const text = formatProblems(result.problems);
    expect(text).toContain('streams[0].analysis.provider: no provider: name one here or set DEFAULT_AI_PROVIDER');
    expect(text).toContain('streams[1].analysis.model: no model for anthropic: name one here or set ANTHROPIC_MODEL');
  });

  it('uses DEFAULT_AI_PROVIDER and the grok alias, and warns about unconfigured providers', () => {
    const cwd = workspace({ 'streams.yaml': 'streams:\n  - id: a\n    source: { url: wss://x }\n' });
    const result = loadConfig({ env: { DEFAULT_AI_PROVIDER: 'grok', XAI_MODEL: 'grok-test' }, cwd });
    if (!result.ok) throw new Error(formatProblems(result.problems));
    expect(result.config.streams[0]?.targets).toEqual([{ provider: 'xai', model: 'grok-test' }]);
    expect(result.warnings[0]?.message).toContain('xai is not configured here (set XAI_API_KEY)');
  });

  it('rejects duplicate stream ids and a missing explicit streams file', () => {
    const cwd = workspace({ 'streams.yaml': 'streams:\n  - { id: a, source: { url: wss://x }, analysis: { provider: heuristic } }\n  - { id: a, source: { url: wss://y }, analysis: { provider: heuristic } }\n' });
    const duplicate = loadConfig({ env: {}, cwd });
    expect(!duplicate.ok && formatProblems(duplicate.problems)).toContain('streams[1].id: duplicate stream id "a"');
    const missing = loadConfig({ env: { TURBOSTREAM_STREAMS_FILE: 'nope.yaml' }, cwd });
    expect(!missing.ok && formatProblems(missing.problems)).toContain('TURBOSTREAM_STREAMS_FILE: nope.yaml does not exist');
  });

  it('describes the effective configuration with secrets masked', () => {
    const cwd = workspace({ 'streams.yaml': STREAMS });
    const result = loadConfig({ env: { OPENAI_API_KEY: 'sk-abcdefghijklmnop-wxyz', OPENAI_MODEL: 'gpt-test', REDIS_URL: 'redis://:hunter2@db:6379' }, cwd });
    if (!result.ok) throw new Error(formatProblems(result.problems));
    const text = describeConfig(result.config);
    expect(text).toContain('key ****wxyz');
    expect(text).not.toContain('sk-abcdefghijklmnop');
    expect(text).not.toContain('hunter2');
    expect(text).toContain('anthropic     not configured (set ANTHROPIC_API_KEY)');
    expect(text).toContain('target   openai / gpt-test');
  });
});

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeConfig } from './describe-config.js';
import { loadConfig, serviceConfigs } from './load-config.js';
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
    const cwd = workspace({
      'env.local': 'OPENAI_API_KEY=sk-test-1234567890abcd\nOPENAI_MODEL=gpt-test\n',
      'streams.yaml': STREAMS,
    });
    const result = loadConfig({ env: {}, cwd });
    if (!result.ok) throw new Error(formatProblems(result.problems));
    const [stream] = result.config.streams;
    expect(stream?.window).toEqual({ maxMessages: 50, maxBytes: 262144, maxSeconds: 10 });
    expect(stream?.source.subscribe[1]).toBe('{"method":"SUBSCRIBE","id":2}');
    expect(stream?.targets).toEqual([
      { provider: 'openai', model: 'gpt-test' },
      { provider: 'heuristic', model: 'mad' },
    ]);
    expect(result.config.redis).toEqual({
      url: 'redis://127.0.0.1:6379',
      explicit: false,
      cluster: false,
      nodes: ['redis://127.0.0.1:6379'],
    });
    expect(result.config.providers.openai.configured).toBe(true);
    expect(result.config.providers.anthropic).toMatchObject({ configured: false, missing: ['ANTHROPIC_API_KEY'] });
  });

  it('lets real environment variables win over env.local', () => {
    const cwd = workspace({ 'env.local': 'REDIS_URL=redis://file:6379\nLLM_TIMEOUT_MS=5000\n' });
    const result = loadConfig({ env: { REDIS_URL: 'redis://env:6380' }, cwd });
    expect(result.ok && result.config.redis).toEqual({
      url: 'redis://env:6380',
      explicit: true,
      cluster: false,
      nodes: ['redis://env:6380'],
    });
    expect(result.ok && result.config.llm.timeoutMs).toBe(5000);
  });

  it('takes a Redis Cluster from REDIS_CLUSTER or from a list of seed nodes', () => {
    const cwd = workspace({});
    const flagged = loadConfig({ env: { REDIS_URL: 'redis://node-a:7000', REDIS_CLUSTER: 'true' }, cwd });
    expect(flagged.ok && flagged.config.redis).toEqual({
      url: 'redis://node-a:7000',
      explicit: true,
      cluster: true,
      nodes: ['redis://node-a:7000'],
    });
    const listed = loadConfig({ env: { REDIS_URL: 'rediss://:pw@node-a:7000, rediss://:pw@node-b:7001' }, cwd });
    expect(listed.ok && listed.config.redis).toMatchObject({
      cluster: true,
      nodes: ['rediss://:pw@node-a:7000', 'rediss://:pw@node-b:7001'],
    });
    const bad = loadConfig({ env: { REDIS_URL: 'redis://a:1,nope', REDIS_CLUSTER: 'maybe' }, cwd });
    expect(!bad.ok && formatProblems(bad.problems)).toContain(
      'REDIS_URL: expected a redis:// or rediss:// URL, or a comma-separated list',
    );
    expect(!bad.ok && formatProblems(bad.problems)).toContain(
      'REDIS_CLUSTER: expected true, false, 1 or 0 (got "maybe")',
    );
  });

  it('accepts true, false, 1 and 0 (any case) for REDIS_CLUSTER, and nothing else', () => {
    const cwd = workspace({});
    const cluster = (value: string) => {
      const result = loadConfig({ env: { REDIS_CLUSTER: value }, cwd });
      return result.ok ? result.config.redis.cluster : formatProblems(result.problems);
    };
    expect([
      cluster('true'),
      cluster('1'),
      cluster('TRUE'),
      cluster('false'),
      cluster('0'),
      cluster('False'),
      cluster(''),
    ]).toEqual([true, true, true, false, false, false, false]);
    expect(cluster('yes')).toBe('  environment: REDIS_CLUSTER: expected true, false, 1 or 0 (got "yes")');
    expect(cluster('no')).toContain('expected true, false, 1 or 0 (got "no")');
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

  it('does not echo a malformed env.local line, which may be a pasted key', () => {
    const cwd = workspace({ 'env.local': 'OPENAI_API_KEY sk-live-abcdef0123456789\nsk-pasted-0123456789abcdef\n' });
    const result = loadConfig({ env: {}, cwd });
    const text = result.ok ? '' : formatProblems(result.problems);
    expect(text).toContain('env.local: line 1: expected KEY=value, got a line starting with OPENAI_API_KEY and no "="');
    expect(text).toContain('env.local: line 2: expected KEY=value');
    expect(text).not.toContain('sk-live');
    expect(text).not.toContain('sk-pasted');
  });

  it('never shows a secret value in a problem', () => {
    const cwd = workspace({});
    const result = loadConfig({ env: { OPENAI_API_KEY: 'sk-secret-value-123456', LLM_TEMPERATURE: 'hot' }, cwd });
    expect(result.ok).toBe(false);
    expect(JSON.stringify(result)).not.toContain('sk-secret-value-123456');
  });

  it('names the field of a malformed streams.yaml', () => {
    const cwd = workspace({
      'streams.yaml':
        `streams:\n  - id: Bad Id\n    source: { url: http://x }\n    window: { maxMessages: many, ` +
        `maxSecs: 3 }\n    analysis: { provider: nobody }\n`,
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

  it('reads a stream budget from streams.yaml and provider budgets from the environment', () => {
    const cwd = workspace({
      'streams.yaml': STREAMS.replace(
        '    compare:',
        '    budget: { usdPerDay: 2.5, tokensPerMinute: 40000 }\n    compare:',
      ),
    });
    const result = loadConfig({
      env: {
        OPENAI_API_KEY: 'sk-x',
        OPENAI_MODEL: 'gpt-test',
        OPENAI_BUDGET_USD_PER_DAY: '10',
        XAI_BUDGET_TOKENS_PER_MINUTE: '5000',
      },
      cwd,
    });
    if (!result.ok) throw new Error(formatProblems(result.problems));
    expect(result.config.streams[0]?.budget).toEqual({ usdPerDay: 2.5, tokensPerMinute: 40_000 });
    expect(result.config.providers.openai.budget).toEqual({ usdPerDay: 10 });
    expect(result.config.providers.xai.budget).toEqual({ tokensPerMinute: 5_000 });
    expect(result.config.providers.anthropic.budget).toEqual({});
  });

  it('names what is wrong with a budget, in streams.yaml and in a variable', () => {
    const cwd = workspace({
      'streams.yaml': STREAMS.replace(
        '    compare:',
        '    budget: { usdPerDay: -1, tokensPerMinute: 1.5, usd: 3 }\n    compare:',
      ),
    });
    const result = loadConfig({ env: { OPENAI_API_KEY: 'sk-x', OPENAI_BUDGET_USD_PER_DAY: 'lots' }, cwd });
    expect(result.ok).toBe(false);
    const text = !result.ok && formatProblems(result.problems);
    expect(text).toContain('streams.yaml: streams[0].budget.usdPerDay: expected a number of US dollars above 0');
    expect(text).toContain('streams.yaml: streams[0].budget.tokensPerMinute: expected a whole number of tokens');
    expect(text).toContain('streams.yaml: streams[0].budget.usd: unknown field');
    expect(text).toContain('OPENAI_BUDGET_USD_PER_DAY: expected a number of US dollars');
  });

  it('reads the share of windows a comparison target analyses (sample, default 1), never for the stream target', () => {
    const cwd = workspace({
      'streams.yaml': STREAMS.replace(
        '      - { provider: heuristic }',
        '      - { provider: heuristic }\n      - { provider: openai, model: gpt-small, sample: 0.1 }',
      ),
    });
    const result = loadConfig({ env: { OPENAI_API_KEY: 'sk-x', OPENAI_MODEL: 'gpt-test' }, cwd });
    if (!result.ok) throw new Error(formatProblems(result.problems));
    const [stream] = result.config.streams;
    // the targets stay plain { provider, model }: job and alert ids are made of them
    expect(stream?.targets).toEqual([
      { provider: 'openai', model: 'gpt-test' },
      { provider: 'heuristic', model: 'mad' },
      { provider: 'openai', model: 'gpt-small' },
    ]);
    expect(stream?.samples).toEqual({ 'openai/gpt-small': 0.1 });
    expect(describeConfig(result.config)).toContain(
      'compare  openai / gpt-small  (sample 0.1: about 10 % of the windows)',
    );
    const plain = loadConfig({
      env: { OPENAI_API_KEY: 'sk-x', OPENAI_MODEL: 'gpt-test' },
      cwd: workspace({ 'streams.yaml': STREAMS }),
    });
    expect(plain.ok && 'samples' in (plain.config.streams[0] ?? {})).toBe(false);
  });

  it('takes a sample above 0 and at most 1, in compare only', () => {
    const cwd = workspace({
      'streams.yaml': STREAMS.replace(
        '      - { provider: heuristic }',
        '      - { provider: heuristic, sample: 0 }\n      - { provider: openai, model: b, sample: 1.5 }\n' +
          "      - { provider: openai, model: c, sample: 'half' }",
      ).replace('      provider: openai\n', '      provider: openai\n      sample: 0.5\n'),
    });
    const result = loadConfig({ env: { OPENAI_API_KEY: 'sk-x', OPENAI_MODEL: 'gpt-test' }, cwd });
    expect(!result.ok && formatProblems(result.problems).split('\n')).toEqual([
      '  streams.yaml: streams[0].analysis.sample: unknown field (check the spelling)',
      '  streams.yaml: streams[0].compare[0].sample: expected a share of windows above 0 and at most 1 (got 0)',
      '  streams.yaml: streams[0].compare[1].sample: expected a share of windows above 0 and at most 1 (got 1.5)',
      '  streams.yaml: streams[0].compare[2].sample: expected a share of windows above 0 and at most 1 (got "half")',
    ]);
  });

  it('reports YAML syntax errors with a line and column', () => {
    const cwd = workspace({ 'streams.yaml': 'streams:\n  - id: a\n    source: { url: "wss://x\n' });
    const result = loadConfig({ env: {}, cwd });
    expect(!result.ok && formatProblems(result.problems)).toMatch(/streams\.yaml:\d+:\d+: not valid YAML/);
  });

  it('requires an explicit provider and model: no silent defaults', () => {
    const cwd = workspace({
      'streams.yaml':
        'streams:\n  - id: a\n    source: { url: wss://x }\n  - id: b\n    source: { url: wss://x }\n' +
        '    analysis: { provider: anthropic }\n',
    });
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
    const cwd = workspace({
      'streams.yaml':
        'streams:\n  - { id: a, source: { url: wss://x }, analysis: { provider: heuristic } }\n  - { id: a, ' +
        'source: { url: wss://y }, analysis: { provider: heuristic } }\n',
    });
    const duplicate = loadConfig({ env: {}, cwd });
    expect(!duplicate.ok && formatProblems(duplicate.problems)).toContain(
      'streams[1].id: duplicate stream id "a" (streams[0] has it too): expected each id once',
    );
    const missing = loadConfig({ env: { TURBOSTREAM_STREAMS_FILE: 'nope.yaml' }, cwd });
    expect(!missing.ok && formatProblems(missing.problems)).toContain(
      'TURBOSTREAM_STREAMS_FILE: nope.yaml does not exist',
    );
  });

  it('names the price file: prices.yaml by default, optional; one named by TURBOSTREAM_PRICES_FILE must exist', () => {
    const cwd = workspace({ 'my-prices.yaml': 'prices: []\n' });
    const byDefault = loadConfig({ env: {}, cwd });
    expect(byDefault.ok && byDefault.config.pricesFile).toBe(join(cwd, 'prices.yaml'));
    expect(byDefault.ok && serviceConfigs(byDefault.config).analyzer.pricesFile).toBe(join(cwd, 'prices.yaml'));
    const named = loadConfig({ env: { TURBOSTREAM_PRICES_FILE: 'my-prices.yaml' }, cwd });
    expect(named.ok && named.config.pricesFile).toBe(join(cwd, 'my-prices.yaml'));
    const missing = loadConfig({ env: { TURBOSTREAM_PRICES_FILE: 'nope.yaml' }, cwd });
    expect(!missing.ok && formatProblems(missing.problems)).toContain(
      'environment: TURBOSTREAM_PRICES_FILE: nope.yaml does not exist',
    );
  });

  it('reads the dashboard settings: 127.0.0.1:7700 without a token by default; a short token is refused unechoed', () => {
    const byDefault = loadConfig({ env: {}, cwd: workspace({}) });
    expect(byDefault.ok && byDefault.config.dashboard).toEqual({ host: '127.0.0.1', port: 7700, token: undefined });
    expect(byDefault.ok && describeConfig(byDefault.config)).toContain(
      'dashboard    http://127.0.0.1:7700 (turbostream dashboard); token (not set: loopback only)',
    );
    const token = 'dashboard-token-0123456789-wxyz';
    const set = loadConfig({
      env: { DASHBOARD_HOST: '0.0.0.0', DASHBOARD_PORT: '8080', DASHBOARD_TOKEN: token },
      cwd: workspace({}),
    });
    expect(set.ok && set.config.dashboard).toEqual({ host: '0.0.0.0', port: 8080, token });
    const text = set.ok ? describeConfig(set.config) : '';
    expect(text).toContain('dashboard    http://0.0.0.0:8080 (turbostream dashboard); token ****wxyz');
    expect(text).not.toContain(token);
    const short = loadConfig({
      env: { DASHBOARD_TOKEN: 'hunter2-secret', DASHBOARD_PORT: '70000' },
      cwd: workspace({}),
    });
    const problems = short.ok ? '' : formatProblems(short.problems);
    expect(problems).toContain('DASHBOARD_TOKEN: expected a token of at least 16 characters');
    expect(problems).toContain('DASHBOARD_PORT: expected a TCP port (0: any free one) of at most 65535');
    expect(problems).not.toContain('hunter2');
  });

  it('describes the effective configuration with secrets masked', () => {
    const cwd = workspace({ 'streams.yaml': STREAMS });
    const result = loadConfig({
      env: {
        OPENAI_API_KEY: 'sk-abcdefghijklmnop-wxyz',
        OPENAI_MODEL: 'gpt-test',
        REDIS_URL: 'redis://:hunter2@db:6379',
      },
      cwd,
    });
    if (!result.ok) throw new Error(formatProblems(result.problems));
    const text = describeConfig(result.config);
    expect(text).toContain('key ****wxyz');
    expect(text).not.toContain('sk-abcdefghijklmnop');
    expect(text).not.toContain('hunter2');
    expect(text).toContain('anthropic     not configured (set ANTHROPIC_API_KEY)');
    expect(text).toContain('target   openai / gpt-test');
  });

  it(
    'reports every problem in one pass: a bad env.local value, a bad DEFAULT_AI_PROVIDER and a streams.yaml ' +
      'problem',
    () => {
      const cwd = workspace({
        'env.local': 'LLM_TIMEOUT_MS=soon\nREDIS_CLUSTER=yes\n',
        'streams.yaml':
          'streams:\n  - id: s1\n    source: { url: wss://example.com }\n    window: { maxMessages: -5 }\n' +
          '    analysis: { provider: heuristic }\n',
      });
      const result = loadConfig({ env: { DEFAULT_AI_PROVIDER: 'chatgpt', ANALYZER_CONCURRENCY: 'lots' }, cwd });
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(formatProblems(result.problems).split('\n')).toEqual([
        '  env.local: REDIS_CLUSTER: expected true, false, 1 or 0 (got "yes")',
        '  env.local: LLM_TIMEOUT_MS: expected a timeout in milliseconds (got "soon")',
        '  environment: ANALYZER_CONCURRENCY: expected a number of jobs (got "lots")',
        '  environment: DEFAULT_AI_PROVIDER: unknown provider "chatgpt": expected one of azure-openai, openai, ' +
          'anthropic, gemini, mistral, xai, ollama, heuristic (or grok)',
        '  streams.yaml: streams[0].window.maxMessages: expected a message count above 0 (got -5)',
      ]);
    },
  );

  it('checks the rules between variables only when both are valid', () => {
    const cwd = workspace({});
    const both = loadConfig({
      env: { INGEST_RECONNECT_INITIAL_MS: '5000', INGEST_RECONNECT_MAX_MS: '1000', LOG_LEVEL: 'loud' },
      cwd,
    });
    expect(!both.ok && formatProblems(both.problems)).toContain(
      'environment: INGEST_RECONNECT_MAX_MS: expected at least INGEST_RECONNECT_INITIAL_MS',
    );
    const oneInvalid = loadConfig({ env: { INGEST_RECONNECT_INITIAL_MS: 'x', INGEST_RECONNECT_MAX_MS: '100' }, cwd });
    expect(!oneInvalid.ok && oneInvalid.problems.map((problem) => problem.field)).toEqual([
      'INGEST_RECONNECT_INITIAL_MS',
    ]);
  });

  it('reports duplicate stream ids even when ids are invalid, and checks the targets of the valid streams', () => {
    const cwd = workspace({
      'streams.yaml': [
        'streams:',
        '  - { id: Bad Id, source: { url: wss://x }, analysis: { provider: heuristic } }',
        '  - { id: Bad Id, source: { url: wss://x }, analysis: { provider: heuristic } }',
        '  - { id: a, source: { url: wss://x }, analysis: { provider: nobody } }',
        '  - { id: a, source: { url: http://x }, analysis: { provider: heuristic } }',
        '',
      ].join('\n'),
    });
    const result = loadConfig({ env: {}, cwd });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const text = formatProblems(result.problems);
    expect(text).toContain('streams.yaml: streams[0].id: expected 1-64 characters of a-z, 0-9, _ or - (got "Bad Id")');
    expect(text).toContain('streams.yaml: streams[1].id: expected 1-64 characters');
    expect(text).toContain('streams.yaml: streams[1].id: duplicate stream id "Bad Id" (streams[0] has it too)');
    expect(text).toContain('streams.yaml: streams[3].source.url: expected a ws:// or wss:// URL');
    expect(text).toContain('streams.yaml: streams[3].id: duplicate stream id "a" (streams[2] has it too)');
    expect(text).toContain('streams.yaml: streams[2].analysis.provider: unknown provider "nobody"');
    expect(result.problems).toHaveLength(6);
  });

  it(
    'warns about variables that look like ours but are not, in env.local and in the environment, naming the ' +
      'nearest',
    () => {
      const cwd = workspace({
        'env.local':
          'OPENAI_APIKEY=sk-lookalike-secret-1234\nANTROPIC_API_KEY=sk-other-secret-5678\n' +
          'TURBOSTREAM_ENV_FILE=other.env\nTZ=UTC\n',
      });
      const result = loadConfig({
        env: { REDISURL: 'redis://x:6379', GEMINI_MODEL: 'gemini-x', log_level: 'debug' },
        cwd,
      });
      if (!result.ok) throw new Error(formatProblems(result.problems));
      expect(formatProblems(result.warnings).split('\n')).toEqual([
        '  env.local: OPENAI_APIKEY: not a TurboStream variable; did you mean OPENAI_API_KEY?',
        '  env.local: ANTROPIC_API_KEY: not a TurboStream variable; did you mean ANTHROPIC_API_KEY?',
        '  env.local: TURBOSTREAM_ENV_FILE: has no effect in an env file (names the env file, so it cannot be set ' +
          'inside one): set it in the environment',
        '  environment: REDISURL: not a TurboStream variable; did you mean REDIS_URL?',
        '  environment: GEMINI_MODEL: not a TurboStream variable; did you mean GOOGLE_MODEL?',
        '  environment: log_level: not a TurboStream variable; did you mean LOG_LEVEL?',
      ]);
      expect(JSON.stringify(result)).not.toContain('sk-lookalike-secret');
      expect(JSON.stringify(result.warnings)).not.toContain('sk-other-secret');
    },
  );

  it('does not warn about the variables of an ordinary environment', () => {
    const cwd = workspace({});
    const env = {
      PATH: '/usr/bin',
      HOME: '/home/me',
      LANG: 'C.UTF-8',
      LOGNAME: 'me',
      HOSTNAME: 'box',
      SHELL: '/bin/bash',
      TERM: 'xterm',
      TZ: 'UTC',
      NODE_ENV: 'production',
      NODE_OPTIONS: '--enable-source-maps',
      NODE_EXTRA_CA_CERTS: '/etc/ca.pem',
      npm_config_cache: '/home/me/.npm',
      npm_config_loglevel: 'warn',
      npm_package_name: 'turbostream-monorepo',
      npm_lifecycle_event: 'start',
      INIT_CWD: '/work',
      XDG_RUNTIME_DIR: '/run/user/1000',
      HTTPS_PROXY: 'http://proxy:3128',
      no_proxy: 'localhost',
      CI: 'true',
      GITHUB_ACTIONS: 'true',
      TURBO_TELEMETRY_DISABLED: '1',
      KUBERNETES_SERVICE_HOST: '10.0.0.1',
      REDIS_SERVICE_HOST: '10.0.0.2',
      REDIS_PORT: 'tcp://10.0.0.2:6379',
      REDIS_PORT_6379_TCP_ADDR: '10.0.0.2',
      TURBOSTREAM_ENV_FILE: '/dev/null',
      AZURE_CLIENT_ID: 'x',
      DEFAULT_BRANCH: 'main',
    };
    const result = loadConfig({ env, cwd });
    expect(result.ok && result.warnings).toEqual([]);
  });

  it('rejects a missing file named by TURBOSTREAM_ENV_FILE, naming it; a missing default env.local is fine', () => {
    const cwd = workspace({ 'env.local': 'LLM_TIMEOUT_MS=5000\n', 'other.env': 'LLM_TIMEOUT_MS=7000\n' });
    const missing = loadConfig({ env: { TURBOSTREAM_ENV_FILE: 'missing.env', LOG_LEVEL: 'loud' }, cwd });
    expect(!missing.ok && formatProblems(missing.problems).split('\n')).toEqual([
      '  environment: TURBOSTREAM_ENV_FILE: missing.env does not exist: expected an env file there (or unset ' +
        'TURBOSTREAM_ENV_FILE to use the default env.local)',
      '  environment: LOG_LEVEL: expected one of fatal, error, warn, info, debug, trace, silent (got "loud")',
    ]);
    expect(missing.envFileName).toBe('missing.env');
    const absolute = loadConfig({
      env: { TURBOSTREAM_ENV_FILE: join(cwd, 'nowhere', 'turbo.env') },
      cwd: workspace({}),
    });
    expect(!absolute.ok && formatProblems(absolute.problems)).toContain(
      `TURBOSTREAM_ENV_FILE: ${join(cwd, 'nowhere', 'turbo.env')} does not exist`,
    );

    const named = loadConfig({ env: { TURBOSTREAM_ENV_FILE: 'other.env' }, cwd });
    expect(named.ok && [named.config.llm.timeoutMs, named.envFile, named.envFileName]).toEqual([
      7000,
      join(cwd, 'other.env'),
      'other.env',
    ]);
    const empty = loadConfig({ env: { TURBOSTREAM_ENV_FILE: '' }, cwd });
    expect(empty.ok && empty.config.llm.timeoutMs).toBe(5000);
    const none = loadConfig({ env: {}, cwd: workspace({}) });
    expect(none.ok && [none.envFile, none.envFileName]).toEqual([undefined, 'env.local']);
  });

  it('reports an env file that cannot be read instead of failing', () => {
    const cwd = workspace({});
    const result = loadConfig({ env: { TURBOSTREAM_ENV_FILE: tmpdir() }, cwd });
    expect(!result.ok && formatProblems(result.problems)).toContain(
      `environment: TURBOSTREAM_ENV_FILE: ${tmpdir()} is a directory: expected a readable env file`,
    );
  });
});

import { describe, expect, it } from 'vitest';
import { EnvSchema } from './env-schema.js';
import { KNOWN_VARIABLES, variableFamilyPrefixes } from './known-variables.js';
import { editDistance, isKubernetesServiceLink, lookAlikeOf } from './lookalike-variables.js';

describe('look-alike variable names', () => {
  it('knows every schema variable plus the environment-only ones', () => {
    expect(KNOWN_VARIABLES).toEqual(expect.arrayContaining([...Object.keys(EnvSchema.shape), 'TURBOSTREAM_ENV_FILE']));
  });

  it('derives our families from the known names', () => {
    expect(variableFamilyPrefixes().sort()).toEqual(
      [
        'TURBOSTREAM_',
        'AZURE_OPENAI_',
        'OPENAI_',
        'ANTHROPIC_',
        'GOOGLE_',
        'GEMINI_',
        'MISTRAL_',
        'XAI_',
        'OLLAMA_',
        'LLM_',
        'INGEST_',
        'WINDOWER_',
        'ANALYZER_',
        'HEALTH_',
        'REDIS_',
        'HEURISTIC_',
        'LOG_',
        'SHUTDOWN_',
        'DASHBOARD_',
      ].sort(),
    );
  });

  it('measures the Damerau–Levenshtein distance, a swap of neighbours costing 1', () => {
    expect(editDistance('REDIS_URL', 'REDIS_URL')).toBe(0);
    expect(editDistance('REDISURL', 'REDIS_URL')).toBe(1);
    expect(editDistance('REDIS_ULR', 'REDIS_URL')).toBe(1);
    expect(editDistance('', 'ABC')).toBe(3);
    expect(editDistance('kitten', 'sitting')).toBe(3);
  });

  it('names the nearest known variable for a name of our families or a few edits from a known one', () => {
    expect(lookAlikeOf('OPENAI_APIKEY')).toBe('OPENAI_API_KEY');
    expect(lookAlikeOf('AZURE_OPENAI_KEY')).toBe('AZURE_OPENAI_API_KEY');
    expect(lookAlikeOf('TURBOSTREAM_STREAM_FILE')).toBe('TURBOSTREAM_STREAMS_FILE');
    expect(lookAlikeOf('SHUTDOWN_TIMEOUT')).toBe('SHUTDOWN_TIMEOUT_MS');
    expect(lookAlikeOf('LOGLEVEL')).toBe('LOG_LEVEL');
    expect(lookAlikeOf('OPEN_AI_API_KEY')).toBe('OPENAI_API_KEY');
    expect(lookAlikeOf('DEFAULT_AI_PROVDER')).toBe('DEFAULT_AI_PROVIDER');
    expect(lookAlikeOf('openai_api_key')).toBe('OPENAI_API_KEY');
  });

  it('leaves known names and other software alone', () => {
    for (const name of [
      ...KNOWN_VARIABLES,
      'PATH',
      'HOME',
      'LANG',
      'LOGNAME',
      'HOSTNAME',
      'NODE_ENV',
      'NODE_OPTIONS',
      'npm_config_log_level',
      'npm_package_version',
      'TURBO_TOKEN',
      'AZURE_TENANT_ID',
      'DEFAULT_BRANCH',
      'REDISTRIBUTE',
    ]) {
      expect(lookAlikeOf(name), name).toBeUndefined();
    }
  });

  it('recognises Kubernetes service links', () => {
    expect(isKubernetesServiceLink('REDIS_SERVICE_PORT_REDIS', '6379')).toBe(true);
    expect(isKubernetesServiceLink('REDIS_PORT_6379_TCP_PROTO', 'tcp')).toBe(true);
    expect(isKubernetesServiceLink('REDIS_PORT', 'tcp://10.0.0.2:6379')).toBe(true);
    expect(isKubernetesServiceLink('REDIS_PORT', '6379')).toBe(false);
  });
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkEnvFileSyntax } from './env-file.js';
import { PROVIDER_VARIABLE_LIST } from '@turbostream/contracts';
import { EnvSchema, SECRET_VARIABLES } from './env-schema.js';

const example = readFileSync(join(import.meta.dirname, '..', '..', '..', 'env.local.example'), 'utf8');
const documented = new Set([...example.matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map((match) => match[1]));

describe('env.local.example', () => {
  it('documents every variable TurboStream reads, and nothing it does not', () => {
    const read = Object.keys(EnvSchema.shape).filter((name) => name !== 'TURBOSTREAM_ENV_FILE');
    expect([...documented].sort()).toEqual(read.sort());
  });

  it('names every variable of the provider registry, and the schema reads each of them', () => {
    for (const { name } of PROVIDER_VARIABLE_LIST) {
      expect(documented.has(name), name).toBe(true);
      expect(Object.keys(EnvSchema.shape), name).toContain(name);
    }
  });

  it('masks exactly the API keys of the registry, never endpoints, models or versions', () => {
    expect([...SECRET_VARIABLES].sort()).toEqual(
      PROVIDER_VARIABLE_LIST.filter(({ name }) => name.endsWith('_API_KEY'))
        .map(({ name }) => name)
        .sort(),
    );
  });

  it('is itself a valid env file, with every value empty (no secrets, no baked-in models)', () => {
    expect(checkEnvFileSyntax(example, 'env.local.example')).toEqual([]);
    expect([...example.matchAll(/^[A-Z][A-Z0-9_]*=(.+)$/gm)].map((match) => match[0])).toEqual([]);
  });
});

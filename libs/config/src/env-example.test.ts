import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkEnvFileSyntax } from './env-file.js';
import { EnvSchema } from './env-schema.js';
import { PROVIDER_VARIABLES } from './provider-settings.js';

const example = readFileSync(join(import.meta.dirname, '..', '..', '..', 'env.local.example'), 'utf8');
const documented = new Set([...example.matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map((match) => match[1]));

describe('env.local.example', () => {
  it('documents every variable TurboStream reads, and nothing it does not', () => {
    const read = Object.keys(EnvSchema.shape).filter((name) => name !== 'TURBOSTREAM_ENV_FILE');
    expect([...documented].sort()).toEqual(read.sort());
  });

  it('names every provider variable of the design table', () => {
    for (const { required, optional } of Object.values(PROVIDER_VARIABLES)) {
      for (const name of [...required, ...optional]) expect(documented.has(name), name).toBe(true);
    }
  });

  it('is itself a valid env file, with every value empty (no secrets, no baked-in models)', () => {
    expect(checkEnvFileSyntax(example, 'env.local.example')).toEqual([]);
    expect([...example.matchAll(/^[A-Z][A-Z0-9_]*=(.+)$/gm)].map((match) => match[0])).toEqual([]);
  });
});

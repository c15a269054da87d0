import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkEnvFileSyntax } from './env-file.js';
import { PROVIDER_IDS, PROVIDER_VARIABLE_LIST, providerRow } from '@turbostream/contracts';
import { EnvSchema, SECRET_VARIABLES } from './env-schema.js';

const example = readFileSync(join(import.meta.dirname, '..', '..', '..', 'env.local.example'), 'utf8');
const readme = readFileSync(join(import.meta.dirname, '..', '..', '..', 'README.md'), 'utf8');
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

describe("the README's providers table", () => {
  /** Each table row by provider id: its required and optional cells' variable names. */
  const rows = new Map(
    [...readme.matchAll(/^\| `([a-z-]+)`[^|]*\| ([^|]*) \| ([^|]*) \|/gm)].map(([, id, required, optional]) => [
      id,
      {
        required: [...(required ?? '').matchAll(/`([A-Z0-9_]+)`/g)].map((m) => m[1]),
        optional: [...(optional ?? '').matchAll(/`([A-Z0-9_]+)`/g)].map((m) => m[1]),
      },
    ]),
  );

  it('has one row per provider of the registry, naming its required and optional variables as the registry does', () => {
    expect([...rows.keys()].sort()).toEqual([...PROVIDER_IDS].sort());
    for (const id of PROVIDER_IDS) {
      // Budget variables are the same for every provider: the README names them once, under "What it costs".
      const variables = providerRow(id).variables.filter((v) => v.budget === undefined);
      // A variable filling the setting of a required one is its alternative (`GEMINI_API_KEY` for `GOOGLE_API_KEY`).
      const requiredSettings = new Set(variables.filter((v) => v.required && v.setting).map((v) => v.setting));
      const isRequired = (v: (typeof variables)[number]) => v.required || requiredSettings.has(v.setting);
      const names = (required: boolean) => variables.filter((v) => isRequired(v) === required).map((v) => v.name);
      expect(rows.get(id)?.required.sort(), id).toEqual(names(true).sort());
      expect(rows.get(id)?.optional.sort(), id).toEqual(names(false).sort());
    }
  });
});

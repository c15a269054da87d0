import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatProblem } from '@turbostream/config';
import { providerChoices } from '@turbostream/contracts';
import { afterEach, describe, expect, it } from 'vitest';
import { PriceBook } from './price-book.js';
import { parsePriceFile, readPriceFile, USER_PRICE_SOURCE } from './price-file.js';
import { loadPriceFile, PriceFileWatch, type PriceReload } from './price-watch.js';

const VALID = `# prices.yaml
prices:
  - provider: azure-openai
    model: prod-gpt41-mini          # a deployment name
    inputPerMTok: 0.44
    cachedInputPerMTok: 0.11
    outputPerMTok: 1.76
    source: https://azure.microsoft.com/en-us/pricing/details/cognitive-services/openai-service/
    asOf: 2026-11-30
  - provider: openai
    model: gpt-4o                   # overrides the built-in row
    inputPerMTok: 2
    outputPerMTok: 8
  - provider: grok                  # an alias of xai
    model: grok-5
    inputPerMTok: 3
    cachedInputPerMTok: 0.75
    cacheWritePerMTok: 3
    outputPerMTok: 15
`;

const lines = (problems: Parameters<typeof formatProblem>[0][]) => problems.map(formatProblem);

describe('parsePriceFile', () => {
  it('reads rows, filling defaults: cached input at the input price, the source, the day it was read', () => {
    const { rows, problems } = parsePriceFile(VALID, 'prices.yaml', '2026-12-01');
    expect(problems).toEqual([]);
    expect(rows).toEqual([
      {
        provider: 'azure-openai',
        model: 'prod-gpt41-mini',
        inputPerMTok: 0.44,
        cachedInputPerMTok: 0.11,
        outputPerMTok: 1.76,
        source: 'https://azure.microsoft.com/en-us/pricing/details/cognitive-services/openai-service/',
        asOf: '2026-11-30',
      },
      {
        provider: 'openai',
        model: 'gpt-4o',
        inputPerMTok: 2,
        cachedInputPerMTok: 2,
        outputPerMTok: 8,
        source: USER_PRICE_SOURCE,
        asOf: '2026-12-01',
      },
      {
        provider: 'xai',
        model: 'grok-5',
        inputPerMTok: 3,
        cachedInputPerMTok: 0.75,
        cacheWritePerMTok: 3,
        outputPerMTok: 15,
        source: USER_PRICE_SOURCE,
        asOf: '2026-12-01',
      },
    ]);
  });

  it('takes an empty file, or an empty list, as no rows', () => {
    expect(parsePriceFile('', 'prices.yaml')).toEqual({ rows: [], problems: [] });
    expect(parsePriceFile('# nothing yet\n', 'prices.yaml')).toEqual({ rows: [], problems: [] });
    expect(parsePriceFile('prices: []\n', 'prices.yaml')).toEqual({ rows: [], problems: [] });
  });

  it('names the file, the row and the field of every problem, and uses no row of a file with one', () => {
    const text = [
      'prices:',
      '  - { provider: openai, model: gpt-x, inputPerMTok: 1, outputPerMTok: 2 }',
      '  - { provider: openai, model: gpt-y, inputPerMTok: "cheap", outputPerMTok: -2, colour: red }',
      '  - { provider: skynet, model: t-800, inputPerMTok: 1, outputPerMTok: 1 }',
      '  - { provider: openai, inputPerMTok: 1, outputPerMTok: 1, asOf: "last week" }',
      '  - { provider: openai, model: gpt-x, inputPerMTok: 3, outputPerMTok: 4 }',
    ].join('\n');
    const { rows, problems } = parsePriceFile(text, 'prices.yaml');
    expect(rows).toEqual([]);
    expect(lines(problems)).toEqual([
      'prices.yaml: prices[1].inputPerMTok: expected the input price in US dollars per million tokens (a number) ' +
        '(got "cheap")',
      'prices.yaml: prices[1].outputPerMTok: expected the output price in US dollars per million tokens, 0 or more ' +
        '(got -2)',
      'prices.yaml: prices[1].colour: unknown field (check the spelling)',
      `prices.yaml: prices[2].provider: unknown provider "skynet": expected one of ${providerChoices()} (got "skynet")`,
      'prices.yaml: prices[3].model: expected a model name (for azure-openai, the deployment name), or * ' +
        '(got nothing)',
      'prices.yaml: prices[3].asOf: expected a date, YYYY-MM-DD (got "last week")',
      'prices.yaml: prices[4].model: openai/gpt-x is priced twice (prices[0] has it too): expected each provider ' +
        'and model once',
    ]);
  });

  it('reports YAML syntax errors with a line and column, and a file that is not a list of prices', () => {
    expect(lines(parsePriceFile('prices:\n  - { provider: openai\n', 'p.yaml').problems)[0]).toMatch(
      /^p\.yaml:\d+:\d+: not valid YAML/,
    );
    expect(lines(parsePriceFile('- a\n- b\n', 'p.yaml').problems)).toEqual([
      'p.yaml: prices: expected a mapping with a list under `prices:`',
    ]);
    expect(lines(parsePriceFile('prices: { openai: 1 }\n', 'p.yaml').problems)).toEqual([
      'p.yaml: prices: expected a list of prices under `prices:` (got {"openai":1})',
    ]);
    expect(lines(parsePriceFile('price: []\n', 'p.yaml').problems)).toEqual([
      'p.yaml: price: unknown field (check the spelling)',
    ]);
  });
});

describe('the price file over the built-in table', () => {
  const dirs: string[] = [];
  const watches: PriceFileWatch[] = [];
  afterEach(async () => {
    await Promise.all(watches.splice(0).map((watch) => watch.close()));
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  const directory = () => {
    const dir = mkdtempSync(join(tmpdir(), 'turbostream-prices-'));
    dirs.push(dir);
    return dir;
  };

  it('is optional: a missing file leaves the built-in prices alone', () => {
    const book = new PriceBook();
    expect(loadPriceFile(book, join(directory(), 'prices.yaml'))).toEqual({ exists: false, problems: [] });
    expect(book.userRows).toEqual([]);
    expect(readPriceFile(join(directory(), 'nope.yaml'), 'nope.yaml')).toEqual({
      exists: false,
      rows: [],
      problems: [],
    });
  });

  it('prices an Azure deployment, overrides a built-in row, and keeps dated snapshots on their family', () => {
    const path = join(directory(), 'prices.yaml');
    writeFileSync(path, VALID);
    const book = new PriceBook();
    expect(loadPriceFile(book, path, 'prices.yaml')).toEqual({ exists: true, problems: [] });
    expect(book.priceOf('azure-openai', 'prod-gpt41-mini')?.inputPerMTok).toBe(0.44);
    expect(book.priceOf('openai', 'gpt-4o-2024-08-06')?.inputPerMTok).toBe(2);
    expect(book.priceOf('openai', 'gpt-4o-mini')?.inputPerMTok).toBe(0.15);
    expect(book.priceOf('xai', 'grok-5')?.cacheWritePerMTok).toBe(3);
  });

  it('keeps the built-in prices when the file does not validate at start, and says why', () => {
    const path = join(directory(), 'prices.yaml');
    writeFileSync(path, 'prices:\n  - { provider: openai, model: gpt-4o, inputPerMTok: x, outputPerMTok: 1 }\n');
    const book = new PriceBook();
    const loaded = loadPriceFile(book, path, 'prices.yaml');
    expect(lines(loaded.problems)).toEqual([
      'prices.yaml: prices[0].inputPerMTok: expected the input price in US dollars per million tokens (a number) ' +
        '(got "x")',
    ]);
    expect(book.priceOf('openai', 'gpt-4o')?.inputPerMTok).toBe(2.5);
  });

  it('is read again when its content changes; a bad version keeps the previous prices and is reported once', async () => {
    const dir = directory();
    const path = join(dir, 'prices.yaml');
    const row = (input: number) =>
      `prices:\n  - { provider: azure-openai, model: prod, inputPerMTok: ${input}, outputPerMTok: 4 }\n`;
    writeFileSync(path, row(1));
    const book = new PriceBook();
    loadPriceFile(book, path, 'prices.yaml');
    const reloads: PriceReload[] = [];
    const watch = new PriceFileWatch(book, {
      path,
      fileName: 'prices.yaml',
      debounceMs: 20,
      pollMs: 50,
      onReload: (reload) => reloads.push(reload),
    }).start();
    watches.push(watch);
    const until = async (condition: () => boolean, what: string) => {
      const deadline = Date.now() + 5_000;
      while (!condition()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    };
    // The first look finds what was loaded: nothing to say.
    await watch.check();
    expect(reloads).toEqual([]);

    // Replaced the way editors save (a new file renamed over the old one).
    writeFileSync(`${path}.tmp`, row(2));
    renameSync(`${path}.tmp`, path);
    await until(() => reloads.length === 1, 'the new price');
    expect(reloads[0]).toMatchObject({ kind: 'applied', rows: [{ model: 'prod', inputPerMTok: 2 }] });
    expect(book.priceOf('azure-openai', 'prod')?.inputPerMTok).toBe(2);

    writeFileSync(path, 'prices:\n  - { provider: azure-openai, model: prod, inputPerMTok: -1, outputPerMTok: 4 }\n');
    await until(() => reloads.length === 2, 'the rejection');
    expect(reloads[1]).toEqual({
      kind: 'rejected',
      problems: [
        {
          source: 'prices.yaml',
          field: 'prices[0].inputPerMTok',
          message: 'expected the input price in US dollars per million tokens, 0 or more (got -1)',
        },
      ],
    });
    expect(book.priceOf('azure-openai', 'prod')?.inputPerMTok).toBe(2);
    // The same bad content seen again (polls, touches) is not reported again.
    await new Promise((resolve) => setTimeout(resolve, 200));
    await watch.check();
    expect(reloads).toHaveLength(2);

    writeFileSync(path, row(3));
    await until(() => reloads.length === 3, 'the fixed file');
    expect(book.priceOf('azure-openai', 'prod')?.inputPerMTok).toBe(3);

    rmSync(path);
    await until(() => reloads.length === 4, 'the removal');
    expect(reloads[3]).toEqual({ kind: 'removed' });
    expect(book.priceOf('azure-openai', 'prod')).toBeUndefined();
    expect(book.priceOf('openai', 'gpt-4.1-mini')?.inputPerMTok).toBe(0.4);
  });

  it('sees a price file created after start', async () => {
    const path = join(directory(), 'prices.yaml');
    const book = new PriceBook();
    const reloads: PriceReload[] = [];
    const watch = new PriceFileWatch(book, { path, debounceMs: 20, pollMs: 50, onReload: (r) => reloads.push(r) });
    watches.push(watch.start());
    await watch.check();
    expect(reloads).toEqual([]);
    writeFileSync(
      path,
      'prices:\n  - { provider: mistral, model: mistral-small-4, inputPerMTok: 0.1, outputPerMTok: 0.3 }\n',
    );
    const deadline = Date.now() + 5_000;
    while (reloads.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(reloads).toMatchObject([{ kind: 'applied' }]);
    expect(book.costOf('mistral', 'mistral-small-4', { inputTokens: 1e6, outputTokens: 1e6 })).toBeCloseTo(0.4, 12);
  });
});

import { type ConfigProblem, issuesToProblems, readFileText } from '@turbostream/config';
import { normalizeProviderId, PROVIDER_IDS, type ProviderId, providerChoices } from '@turbostream/contracts';
import { isMap, LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { ANY_MODEL, type PriceRow } from './price-table.js';

/** The `source` of a user row that names none. */
export const USER_PRICE_SOURCE = 'user price file';

const dollars = (what: string) =>
  z
    .number({ error: `expected ${what} in US dollars per million tokens (a number)` })
    .nonnegative({ error: `expected ${what} in US dollars per million tokens, 0 or more` })
    .max(1_000_000, { error: `expected ${what} in US dollars per million tokens, at most 1000000` });

const provider = z
  .string({ error: `expected a provider id: one of ${providerChoices()}` })
  .transform((value, context) => {
    const id = normalizeProviderId(value);
    if ((PROVIDER_IDS as readonly string[]).includes(id)) return id as ProviderId;
    context.addIssue({
      code: 'custom',
      message: `unknown provider ${JSON.stringify(value)}: expected one of ${providerChoices()}`,
      input: value,
    });
    return z.NEVER;
  });

/** YAML reads `2026-11-30` as a date: it is taken back as the day it names. */
const day = z.preprocess(
  (value) => (value instanceof Date && !Number.isNaN(value.getTime()) ? value.toISOString().slice(0, 10) : value),
  z.string().regex(/^\d{4}-\d{2}-\d{2}$/, { error: 'expected a date, YYYY-MM-DD' }),
);

/** One row of the user's price file. */
export const PriceFileRow = z.strictObject({
  provider,
  /** The model the jobs name (for Azure OpenAI, the deployment), or `*` for every model of the provider. */
  model: z
    .string({ error: `expected a model name (for azure-openai, the deployment name), or ${ANY_MODEL}` })
    .trim()
    .min(1, { error: `expected a model name (for azure-openai, the deployment name), or ${ANY_MODEL}` }),
  inputPerMTok: dollars('the input price'),
  /** @defaultValue `inputPerMTok` (no discount for cached input) */
  cachedInputPerMTok: dollars('the cached input price').optional(),
  /** @defaultValue `inputPerMTok` */
  cacheWritePerMTok: dollars('the cache write price').optional(),
  outputPerMTok: dollars('the output price'),
  /** @defaultValue {@link USER_PRICE_SOURCE} */
  source: z.string().trim().min(1, { error: 'expected where the price comes from (a URL or a note)' }).optional(),
  /** @defaultValue the day the file was read */
  asOf: day.optional(),
});

/** The user's price file: `prices:`, a list of rows (an empty file, or an empty list, prices nothing). */
export const PriceFileSchema = z.strictObject({
  prices: z.array(z.unknown(), { error: 'expected a list of prices under `prices:`' }).default([]),
});

export interface PriceFileResult {
  /** The valid rows; empty whenever there is a problem (a file with a problem is not used at all). */
  rows: PriceRow[];
  problems: ConfigProblem[];
}

function today(): string {
  return new Date().toISOString().slice(0, 10);
}

/**
 * Parses and validates the user's price file. Every problem is reported at once, each naming the file, the row
 * (`prices[2].provider`) and what is expected; a provider and model given twice is a problem too. A file with any
 * problem gives no rows, so a half-valid file never half-applies.
 */
export function parsePriceFile(text: string, fileName: string, readOn: string = today()): PriceFileResult {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, uniqueKeys: true });
  if (document.errors.length > 0) {
    return {
      rows: [],
      problems: document.errors.map((error) => {
        const position = error.pos[0] !== undefined ? lineCounter.linePos(error.pos[0]) : undefined;
        return {
          source: position ? `${fileName}:${position.line}:${position.col}` : fileName,
          field: '',
          message: `not valid YAML: ${error.message.split('\n')[0]}`,
        };
      }),
    };
  }
  if (document.contents === null) return { rows: [], problems: [] };
  if (!isMap(document.contents))
    return {
      rows: [],
      problems: [{ source: fileName, field: 'prices', message: 'expected a mapping with a list under `prices:`' }],
    };
  const file = PriceFileSchema.safeParse(document.toJS(), { reportInput: true });
  if (!file.success) return { rows: [], problems: issuesToProblems(file.error.issues, () => fileName) };

  const rows: PriceRow[] = [];
  const problems: ConfigProblem[] = [];
  const firstIndex = new Map<string, number>();
  file.data.prices.forEach((raw, index) => {
    const parsed = PriceFileRow.safeParse(raw, { reportInput: true });
    if (!parsed.success) {
      problems.push(
        ...issuesToProblems(
          parsed.error.issues.map((issue) => ({ ...issue, path: ['prices', index, ...issue.path] })),
          () => fileName,
        ),
      );
      return;
    }
    const row = parsed.data;
    const key = `${row.provider}/${row.model}`;
    const first = firstIndex.get(key);
    if (first !== undefined) {
      problems.push({
        source: fileName,
        field: `prices[${index}].model`,
        message: `${key} is priced twice (prices[${first}] has it too): expected each provider and model once`,
      });
      return;
    }
    firstIndex.set(key, index);
    rows.push({
      provider: row.provider,
      model: row.model,
      inputPerMTok: row.inputPerMTok,
      cachedInputPerMTok: row.cachedInputPerMTok ?? row.inputPerMTok,
      ...(row.cacheWritePerMTok !== undefined ? { cacheWritePerMTok: row.cacheWritePerMTok } : {}),
      outputPerMTok: row.outputPerMTok,
      source: row.source ?? USER_PRICE_SOURCE,
      asOf: row.asOf ?? readOn,
    });
  });
  return problems.length > 0 ? { rows: [], problems } : { rows, problems };
}

/** Reads the user's price file: no rows and no problem when it does not exist (it is optional). */
export function readPriceFile(path: string, fileName: string): PriceFileResult & { exists: boolean } {
  const read = readFileText(path);
  if ('text' in read) return { exists: true, ...parsePriceFile(read.text, fileName) };
  if (read.error)
    return {
      exists: true,
      rows: [],
      problems: [{ source: fileName, field: '', message: `cannot be read (${read.error})` }],
    };
  return { exists: false, rows: [], problems: [] };
}

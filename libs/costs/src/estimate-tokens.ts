import type { ProviderId } from '@turbostream/contracts';
import { countTokens as countCl100k } from 'gpt-tokenizer/encoding/cl100k_base';
import { countTokens as countO200k } from 'gpt-tokenizer/encoding/o200k_base';

/** Feed text is counted as text: `<|endoftext|>` in a message is tokens, not an error. */
const AS_TEXT = { disallowedSpecial: new Set<string>() };

/** OpenAI models before GPT-4o use cl100k_base; GPT-4o and every later model o200k_base. */
const CL100K_MODELS = /^(gpt-4(?!o|\.)|gpt-3\.5|text-embedding-)/;

/**
 * How much more a family's own tokenizer may count than o200k_base for the same text. OpenAI's are exact (its own
 * encodings); the others publish no tokenizer that runs offline (Anthropic's and Google's count with an API call),
 * so their text is counted with o200k_base and a margin: their vocabularies are smaller, so they count more tokens
 * for the same JSON-heavy text. The margin only decides how early a budget stops; what is spent is settled from the
 * provider's own usage after each call.
 */
const MARGIN: Record<ProviderId, number> = {
  openai: 1,
  'azure-openai': 1,
  xai: 1.1,
  anthropic: 1.3,
  gemini: 1.2,
  mistral: 1.3,
  ollama: 1.3,
  heuristic: 0,
};

/** Tokens of chat framing per message (role, separators), as OpenAI documents about 3-4; rounded up. */
const PER_MESSAGE = 8;

/**
 * The input tokens a call of `provider`/`model` with these message texts is expected to count, at most: each text
 * counted with the model family's tokenizer (o200k_base or cl100k_base for OpenAI's, o200k_base with a margin for the
 * others), plus chat framing. The heuristic calls no model: 0.
 */
export function estimateInputTokens(provider: ProviderId, model: string, texts: readonly string[]): number {
  const margin = MARGIN[provider];
  if (margin === 0) return 0;
  const count =
    (provider === 'openai' || provider === 'azure-openai') && CL100K_MODELS.test(model) ? countCl100k : countO200k;
  const tokens = texts.reduce((sum, text) => sum + count(text, AS_TEXT) + PER_MESSAGE, 0);
  return Math.ceil(tokens * margin);
}

import { describe, expect, it } from 'vitest';
import { countTokens as countCl100k } from 'gpt-tokenizer/encoding/cl100k_base';
import { countTokens as countO200k } from 'gpt-tokenizer/encoding/o200k_base';
import { estimateInputTokens } from './estimate-tokens.js';

describe('estimateInputTokens', () => {
  it('counts OpenAI models with their own encoding: o200k_base from GPT-4o on, cl100k_base before', () => {
    const text = 'Überweisung über 1.234,56 € — 東京 市場 価格 {"price":97123.45}';
    expect(estimateInputTokens('openai', 'gpt-4.1-mini', [text])).toBe(countO200k(text) + 8);
    expect(estimateInputTokens('openai', 'gpt-4o', [text])).toBe(countO200k(text) + 8);
    expect(estimateInputTokens('azure-openai', 'gpt-4-turbo', [text])).toBe(countCl100k(text) + 8);
    expect(countO200k(text)).not.toBe(countCl100k(text));
  });

  it('adds a margin for families without an offline tokenizer, and chat framing per message', () => {
    const texts = ['system text', 'a window of data'];
    const openai = estimateInputTokens('openai', 'gpt-5', texts);
    expect(estimateInputTokens('anthropic', 'claude-sonnet-4-5', texts)).toBe(Math.ceil(openai * 1.3));
    expect(openai).toBeGreaterThan(estimateInputTokens('openai', 'gpt-5', ['system text a window of data']));
  });

  it('counts special-token text from a feed as text instead of throwing', () => {
    expect(estimateInputTokens('openai', 'gpt-4o', ['<|endoftext|><|im_start|>'])).toBeGreaterThan(8);
  });

  it('counts nothing for the heuristic, which calls no model', () => {
    expect(estimateInputTokens('heuristic', 'mad', ['anything'])).toBe(0);
  });
});

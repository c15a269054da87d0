import { describe, expect, it } from 'vitest';
import { mapOpenAIUsage } from '../openai/map-chat-usage.js';
import { mapXaiUsage } from './map-xai-usage.js';

// From xAI's documented stream: total_tokens = prompt + completion + reasoning.
const XAI_USAGE = {
  prompt_tokens: 12,
  completion_tokens: 1,
  total_tokens: 303,
  prompt_tokens_details: { text_tokens: 12, audio_tokens: 0, image_tokens: 0, cached_tokens: 11 },
  completion_tokens_details: {
    reasoning_tokens: 290,
    audio_tokens: 0,
    accepted_prediction_tokens: 0,
    rejected_prediction_tokens: 0,
  },
};

describe('mapXaiUsage', () => {
  it('counts reasoning tokens as output, since xAI leaves them out of completion_tokens', () => {
    expect(mapXaiUsage(XAI_USAGE)).toEqual({ inputTokens: 12, outputTokens: 291, cachedInputTokens: 11 });
    // OpenAI's completion_tokens already include them.
    expect(mapOpenAIUsage(XAI_USAGE)).toEqual({ inputTokens: 12, outputTokens: 1, cachedInputTokens: 11 });
  });

  it('reads missing fields as zero', () => {
    expect(mapXaiUsage(JSON.parse('{"prompt_tokens":5}'))).toEqual({ inputTokens: 5, outputTokens: 0 });
    expect(mapOpenAIUsage(JSON.parse('{"completion_tokens":null}'))).toEqual({ inputTokens: 0, outputTokens: 0 });
  });
});

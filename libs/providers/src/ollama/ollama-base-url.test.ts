import { describe, expect, it } from 'vitest';
import { ollamaBaseURL } from './ollama-base-url.js';
import { createOllamaProvider } from './ollama-provider.js';

describe('ollamaBaseURL', () => {
  it('adds /v1 to a URL without a path', () => {
    expect(ollamaBaseURL('http://localhost:11434')).toBe('http://localhost:11434/v1');
    expect(ollamaBaseURL('http://localhost:11434/')).toBe('http://localhost:11434/v1');
    expect(ollamaBaseURL(' http://gpu-box.lan:11434// ')).toBe('http://gpu-box.lan:11434/v1');
  });

  it('keeps a URL that has a path, without its trailing slashes', () => {
    expect(ollamaBaseURL('http://localhost:11434/v1')).toBe('http://localhost:11434/v1');
    expect(ollamaBaseURL('http://localhost:11434/v1/')).toBe('http://localhost:11434/v1');
    expect(ollamaBaseURL('https://gateway.example.com/llm/openai/v1')).toBe(
      'https://gateway.example.com/llm/openai/v1',
    );
  });

  it('adds http:// to a host without a scheme, and rejects what is not http(s)', () => {
    expect(ollamaBaseURL('localhost:11434')).toBe('http://localhost:11434/v1');
    expect(ollamaBaseURL('ftp://localhost:11434')).toBeUndefined();
    expect(ollamaBaseURL('http://')).toBeUndefined();
  });

  it('makes the provider refuse to start on a URL it cannot use', () => {
    expect(() => createOllamaProvider({ baseURL: 'ftp://localhost' })).toThrow(/no valid base URL/);
    expect(createOllamaProvider({ baseURL: 'http://localhost:11434' }).id).toBe('ollama');
  });
});

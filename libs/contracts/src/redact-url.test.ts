import { describe, expect, it } from 'vitest';
import { redactUrl } from './redact-url.js';

describe('redactUrl', () => {
  it('hides passwords and query strings, keeping what tells the URL apart', () => {
    expect(redactUrl('wss://feed.example.com/ws?token=secret-1&x=2')).toBe('wss://feed.example.com/ws?…');
    expect(redactUrl('rediss://user:secret-2@db.example.com:6380/0')).toBe('rediss://user:****@db.example.com:6380/0');
    expect(redactUrl('https://gateway.example.com/v1')).toBe('https://gateway.example.com/v1');
  });

  it('never echoes what is not a URL', () => {
    expect(redactUrl('not a url with secret-3')).toBe('<invalid url>');
  });
});

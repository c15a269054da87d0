import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';

function capture(format: 'json' | 'pretty') {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk: Buffer) => {
    text += chunk.toString();
  });
  return { logger: createLogger({ format, destination: stream, base: { instance: 'i-1' } }), text: () => text };
}

describe('createLogger', () => {
  it('redacts keys, authorization headers and prompts wherever they appear', () => {
    const { logger, text } = capture('json');
    logger.info({ apiKey: 'sk-secret-1', request: { headers: { authorization: 'Bearer sk-secret-2' } }, settings: { apiKey: 'sk-secret-3' }, prompt: 'the window' }, 'call');
    expect(text()).not.toMatch(/sk-secret|the window/);
    expect(JSON.parse(text())).toMatchObject({ apiKey: '[redacted]', settings: { apiKey: '[redacted]' }, prompt: '[redacted]', msg: 'call', instance: 'i-1' });
  });

  it('writes one line per event in pretty mode, led by the service', () => {
    const { logger, text } = capture('pretty');
    logger.child({ service: 'windower' }).info({ streamId: 's1' }, 'took ownership of stream');
    const lines = text().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('windower: took ownership of stream');
    expect(lines[0]).toContain('"streamId":"s1"');
    expect(lines[0]).not.toContain('i-1');
  });
});

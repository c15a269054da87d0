import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';
import { TERMINAL_UNSAFE } from './terminal-text.js';

/** pino-pretty's colours (SGR sequences): the only escape sequences it may write. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching its colour sequences is the point
const COLOURS = /\u001b\[\d+(;\d+)*m/g;
/**
 * Feed or model text as it may reach a log line: clear screen, bell, window title, C1 CSI, DEL, RLO, line separator, a
 * forged line.
 */
const HOSTILE = '\u001b[2J\u001b[H\u0007\u001b]0;pwned\u0007\u009b31m\u007f\u202e\u2028\nINFO forged line';

function capture(format: 'json' | 'pretty', { isTTY = false }: { isTTY?: boolean } = {}) {
  const stream = Object.assign(new PassThrough(), { isTTY });
  let text = '';
  stream.on('data', (chunk: Buffer) => {
    text += chunk.toString();
  });
  return { logger: createLogger({ format, destination: stream, base: { instance: 'i-1' } }), text: () => text };
}

describe('createLogger', () => {
  it('redacts keys, authorization headers and prompts wherever they appear', () => {
    const { logger, text } = capture('json');
    logger.info(
      {
        apiKey: 'sk-secret-1',
        request: { headers: { authorization: 'Bearer sk-secret-2' } },
        settings: { apiKey: 'sk-secret-3' },
        prompt: 'the window',
      },
      'call',
    );
    expect(text()).not.toMatch(/sk-secret|the window/);
    expect(JSON.parse(text())).toMatchObject({
      apiKey: '[redacted]',
      settings: { apiKey: '[redacted]' },
      prompt: '[redacted]',
      msg: 'call',
      instance: 'i-1',
    });
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

  it('shows control characters from log fields in pretty mode, keeping its own colours and one line per event', () => {
    for (const isTTY of [false, true]) {
      const { logger, text } = capture('pretty', { isTTY });
      const err = new Error(`source said ${HOSTILE}`);
      logger
        .child({ service: 'ingest' })
        .warn({ reason: HOSTILE, detail: { sample: HOSTILE }, err }, `source down: ${HOSTILE}`);
      const output = text();
      // pino-pretty's colours are the only escape sequences left (on a terminal).
      const visible = output.replace(COLOURS, '');
      expect(visible.replaceAll('\n', ' ')).not.toMatch(TERMINAL_UNSAFE);
      const [first = ''] = visible.split('\n');
      expect(first).toContain(
        'ingest: source down: \\x1b[2J\\x1b[H\\x07\\x1b]0;pwned\\x07\\x9b31m\\x7f\\u202e\\u2028\\nINFO forged line',
      );
      expect(first).toContain('"reason":"\\x1b[2J');
      // Only the error spans lines, a frame a line, indented under the event: feed text cannot start a line of its own.
      const lines = visible.trimEnd().split('\n');
      for (const line of lines.slice(1)) expect(line).toMatch(/^\s/);
      // the message, err.message and the stack's first line
      expect(lines.filter((line) => line.includes('forged line'))).toHaveLength(3);
      expect(lines.some((line) => line.trim().startsWith('Error: source said \\x1b[2J'))).toBe(true);
      expect(visible !== output).toBe(isTTY);
    }
  });

  it('escapes DEL, C1, bidi controls and line separators in JSON lines, which still parse to the same fields', () => {
    const { logger, text } = capture('json');
    logger.warn({ reason: HOSTILE, nested: { sample: HOSTILE } }, HOSTILE);
    const line = text();
    expect(line.endsWith('\n')).toBe(true);
    expect(line.slice(0, -1)).not.toMatch(TERMINAL_UNSAFE);
    expect(JSON.parse(line)).toMatchObject({ reason: HOSTILE, nested: { sample: HOSTILE }, msg: HOSTILE });
  });
});

import { describe, expect, it } from 'vitest';
import { escapeForTerminal, escapeJsonForTerminal, TERMINAL_UNSAFE } from './terminal-text.js';

/**
 * What a hostile feed message or model answer may hold: clear screen, cursor home, bell, window title, C1 CSI, DEL,
 * RLO, line separator.
 */
const HOSTILE = 'a\u001b[2J\u001b[Hb\u0007c\u001b]0;pwned\u0007d\u009b31me\u007ff\u202eg\u2028h\u2029i\u2066j\u0085k';

describe('escapeForTerminal', () => {
  it('shows every control, DEL, C1, bidi control and line separator as a readable escape', () => {
    expect(escapeForTerminal(HOSTILE)).toBe(
      'a\\x1b[2J\\x1b[Hb\\x07c\\x1b]0;pwned\\x07d\\x9b31me\\x7ff\\u202eg\\u2028h\\u2029i\\u2066j\\x85k',
    );
  });

  it('shows tab, line feed and carriage return by name, so that a field stays on its line', () => {
    expect(escapeForTerminal('one\ttwo\r\nthree\u0000')).toBe('one\\ttwo\\r\\nthree\\x00');
  });

  it('doubles the backslash, so that text that looks like an escape cannot pass for one', () => {
    expect(escapeForTerminal('C:\\temp \\x1b')).toBe('C:\\\\temp \\\\x1b');
    expect(escapeForTerminal('\\\u001b')).toBe('\\\\\\x1b');
  });

  it('leaves other text alone, accents, emoji and right-to-left scripts included', () => {
    const text = 'prix 64 210 € — 価格 🚀 שלום مرحبا ‍👩‍💻 "quoted" {json}';
    expect(escapeForTerminal(text)).toBe(text);
  });

  it('writes nothing a terminal acts on', () => {
    expect(escapeForTerminal(HOSTILE)).not.toMatch(TERMINAL_UNSAFE);
    const every = Array.from({ length: 0x2070 }, (_, code) => String.fromCharCode(code)).join('');
    expect(escapeForTerminal(every)).not.toMatch(TERMINAL_UNSAFE);
  });
});

describe('escapeJsonForTerminal', () => {
  it(
    'escapes what JSON.stringify leaves raw (DEL, C1, bidi controls, line separators) and still parses to the ' +
      'same value',
    () => {
      const value = { title: HOSTILE, nested: [HOSTILE, 1.5, null], [HOSTILE]: true };
      const json = JSON.stringify(value);
      expect(json).toMatch(TERMINAL_UNSAFE); // the gap this closes
      const escaped = escapeJsonForTerminal(json);
      expect(escaped).not.toMatch(TERMINAL_UNSAFE);
      expect(escaped).toContain('\\u009b31m');
      expect(escaped).toContain('\\u202e');
      expect(escaped).toContain('\\u2028');
      expect(escaped).toContain('\\u007f');
      expect(JSON.parse(escaped)).toEqual(value);
    },
  );

  it('changes nothing in JSON that holds none of them', () => {
    const json = JSON.stringify({ a: 'C:\\temp', b: 'tab\there', c: 'é🚀' });
    expect(escapeJsonForTerminal(json)).toBe(json);
  });
});

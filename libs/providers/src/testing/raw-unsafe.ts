// Shared by the prompt tests (not built into dist: see tsconfig.json).

/**
 * The characters of `text` that must never reach a model raw: C0 and C1
 * controls and DEL (line feed aside when `allowLineFeed`), the line and
 * paragraph separators, and bidi embeddings, overrides and isolates.
 * Written out here, apart from the code under test, on purpose.
 */
export function rawUnsafe(text: string, allowLineFeed = false): string[] {
  return [...text].filter((char) => {
    const code = char.codePointAt(0) ?? 0;
    if (allowLineFeed && code === 0x0a) return false;
    return (
      code < 0x20 ||
      (code >= 0x7f && code <= 0x9f) ||
      code === 0x2028 ||
      code === 0x2029 ||
      (code >= 0x202a && code <= 0x202e) ||
      (code >= 0x2066 && code <= 0x2069)
    );
  });
}

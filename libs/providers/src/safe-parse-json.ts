export type ParseJsonResult = { success: true; value: unknown } | { success: false; error: Error };

/** `JSON.parse` that returns a result instead of throwing: outside data is expected to be wrong sometimes. */
export function safeParseJSON(text: string): ParseJsonResult {
  try {
    return { success: true, value: JSON.parse(text) };
  } catch (error) {
    return { success: false, error: error instanceof Error ? error : new Error(String(error)) };
  }
}

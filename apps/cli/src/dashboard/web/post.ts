/**
 * The page's changes: a JSON POST to the dashboard itself with the header that says it comes from this page
 * (CHANGE_HEADER: a page of another site cannot send it without a CORS preflight, which the dashboard never answers).
 * The session cookie (SameSite=Strict) carries the token's proof.
 */
import { CHANGE_HEADER, type DashboardErrorReply } from '../api.js';

/** The answer of a change: its JSON when it was taken, else the server's reason as text. */
export async function postChange<T>(
  path: string,
  body: unknown,
): Promise<{ ok: true; value: T } | { ok: false; error: string }> {
  let response: Response;
  try {
    response = await fetch(path, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json', [CHANGE_HEADER]: '1' },
      body: JSON.stringify(body),
    });
  } catch (error) {
    return { ok: false, error: `the dashboard did not answer: ${String(error)}` };
  }
  return readReply<T>(response);
}

/** A change's reply: JSON (`{ error }` when refused) or the text of a refusal (401, 403). */
export async function readReply<T>(response: Response): Promise<{ ok: true; value: T } | { ok: false; error: string }> {
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (response.ok && json !== undefined) return { ok: true, value: json as T };
  const error = (json as Partial<DashboardErrorReply> | undefined)?.error ?? text.trim();
  return { ok: false, error: error || `${response.status} ${response.statusText}` };
}

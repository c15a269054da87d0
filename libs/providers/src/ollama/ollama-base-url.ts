/**
 * The OpenAI-compatible base URL of a local server (`OLLAMA_BASE_URL`): a URL
 * without a path gets Ollama's `/v1` (`http://localhost:11434` →
 * `http://localhost:11434/v1`), one without a scheme gets `http://`, and
 * trailing slashes go. `undefined` when it is not an http(s) URL.
 */
export function ollamaBaseURL(baseURL: string): string | undefined {
  const text = baseURL.trim();
  let url: URL;
  try {
    url = new URL(/^[a-z][a-z\d+.-]*:\/\//i.test(text) ? text : `http://${text}`);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
  const path = url.pathname.replace(/\/+$/, '');
  url.pathname = path === '' ? '/v1' : path;
  url.hash = '';
  return url.toString();
}

/**
 * The SDK base URL for an Azure OpenAI resource endpoint (`AZURE_OPENAI_ENDPOINT`):
 * `https://my-resource.openai.azure.com/` → `https://my-resource.openai.azure.com/openai`.
 * An endpoint that already ends in `/openai` is kept. `undefined` when the
 * endpoint is not an http(s) URL.
 */
export function azureOpenAIBaseURL(endpoint: string): string | undefined {
  let url: URL;
  try {
    url = new URL(endpoint.trim());
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
  const path = url.pathname.replace(/\/+$/, '');
  url.pathname = path.endsWith('/openai') ? path : `${path}/openai`;
  url.search = '';
  url.hash = '';
  return url.toString();
}

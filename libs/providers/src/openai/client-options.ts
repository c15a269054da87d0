/**
 * The SDK client options every provider sets explicitly, so that nothing is
 * read from `process.env` (`OPENAI_ORG_ID`, `OPENAI_PROJECT_ID`,
 * `OPENAI_ADMIN_KEY`, `OPENAI_WEBHOOK_SECRET`, `OPENAI_LOG`) and the SDK
 * never retries: retrying, and waiting out rate limits, is the queue's job.
 */
export function explicitClientOptions(fetch: typeof globalThis.fetch | undefined, maxRetries = 0) {
  return {
    organization: null,
    project: null,
    adminAPIKey: null,
    webhookSecret: null,
    maxRetries,
    logLevel: 'off' as const,
    ...(fetch ? { fetch } : {}),
  };
}

import type { ProviderId } from '@turbostream/contracts';
import { z } from 'zod';
import { ProviderError, type ProviderErrorKind } from './provider-error.js';
import { redactSecrets } from './redact.js';
import { type HeaderSource, parseRetryAfterMs } from './retry-after.js';

/** The documented error object: `{"error":{"message","type","param","code"}}`, or its inner object. */
const ErrorDetails = z.object({
  message: z.unknown().optional(),
  type: z.string().nullish(),
  code: z.union([z.string(), z.number()]).nullish(),
});
const ErrorBody = z.union([z.object({ error: ErrorDetails }).transform((body) => body.error), ErrorDetails]);

export interface HttpErrorInput {
  provider: ProviderId;
  status: number;
  headers?: HeaderSource;
  /** The parsed error body, if any. */
  body?: unknown;
  /** Secrets to strip from the message (the provider's API key). */
  secrets?: readonly (string | undefined)[];
  /** @defaultValue Date.now() */
  now?: number;
}

/** Error codes that arrive as 429 but mean "no money left", which waiting does not cure. */
const QUOTA_CODES = new Set(['insufficient_quota', 'billing_hard_limit_reached']);

export function httpStatusKind(status: number, codes: readonly (string | undefined)[] = []): ProviderErrorKind {
  if (status === 429)
    return codes.some((code) => code !== undefined && QUOTA_CODES.has(code)) ? 'permanent' : 'rate-limited';
  if (status === 408 || status === 409 || status >= 500) return 'transient';
  if (status >= 400) return 'permanent';
  return 'transient';
}

/**
 * Turns an HTTP error response into a {@link ProviderError}: 429 is
 * rate-limited (with the wait the provider asked for), 408/409/5xx are
 * transient, other 4xx are permanent.
 */
export function mapHttpError(input: HttpErrorInput): ProviderError {
  const parsed = ErrorBody.safeParse(input.body);
  const details = parsed.success ? parsed.data : undefined;
  const codeText = details?.code === undefined || details.code === null ? undefined : String(details.code);
  const kind = httpStatusKind(input.status, [codeText, details?.type ?? undefined]);
  const providerMessage = typeof details?.message === 'string' ? details.message : undefined;
  const text = providerMessage ? `: ${providerMessage.slice(0, 300)}` : '';
  const retryAfterMs = kind === 'rate-limited' ? parseRetryAfterMs(input.headers, input.now) : undefined;
  return new ProviderError({
    provider: input.provider,
    kind,
    message: redactSecrets(`${input.provider} answered HTTP ${input.status}${text}`, input.secrets),
    statusCode: input.status,
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    ...(codeText === undefined ? {} : { code: codeText }),
  });
}

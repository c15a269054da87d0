import { z } from 'zod';
import { type HeaderSource, headerValue, parseRetryAfterMs } from '../errors/retry-after.js';
import { safeParseJSON } from '../safe-parse-json.js';

/** An error body in the one shape {@link mapHttpError} reads. */
export interface MistralErrorDetails {
  message?: string;
  type?: string;
  code?: string;
}

/** FastAPI's validation item: `{"loc":["body","model"],"msg":"Field required","type":"missing"}`. */
const ValidationItem = z.object({ loc: z.array(z.union([z.string(), z.number()])).optional(), msg: z.string() });
const Detail = z.union([z.string(), z.array(ValidationItem)]);

/**
 * The error bodies Mistral sends:
 * `{"object":"error","message":"Rate limit exceeded","type":"rate_limited","param":null,"code":"1300"}`
 * (where `message` may itself be `{"detail":[…]}`), `{"message":"Unauthorized","request_id":"…"}`,
 * `{"detail":"Unauthorized"}` and `{"detail":[{"loc":[…],"msg":"…","type":"…"}]}`.
 */
const ErrorBody = z.object({
  message: z.unknown().optional(),
  detail: z.unknown().optional(),
  type: z.string().nullish().catch(undefined),
  code: z.union([z.string(), z.number()]).nullish().catch(undefined),
});
const NestedDetail = z.object({ detail: Detail });

function describeDetail(detail: z.infer<typeof Detail>): string {
  if (typeof detail === 'string') return detail;
  return detail.map((item) => (item.loc?.length ? `${item.loc.join('.')}: ${item.msg}` : item.msg)).join('; ');
}

/** The human part of an error body: `message`, a `message.detail` list, or `detail`. */
function describeMessage(body: z.infer<typeof ErrorBody>): string | undefined {
  if (typeof body.message === 'string') return body.message;
  const nested = NestedDetail.safeParse(body.message);
  if (nested.success) return describeDetail(nested.data.detail);
  const detail = Detail.safeParse(body.detail);
  return detail.success ? describeDetail(detail.data) : undefined;
}

/** Reads an error response body (as text) in any of Mistral's shapes; text that is not JSON becomes the message. */
export function readMistralErrorBody(text: string): MistralErrorDetails {
  const json = safeParseJSON(text);
  if (!json.success) {
    const flat = text.replace(/\s+/g, ' ').trim();
    return flat ? { message: flat.slice(0, 200) } : {};
  }
  const body = ErrorBody.safeParse(json.value);
  if (!body.success) return {};
  const { type, code } = body.data;
  const description = describeMessage(body.data);
  return {
    ...(description ? { message: description } : {}),
    ...(type ? { type } : {}),
    ...(code !== undefined && code !== null ? { code: String(code) } : {}),
  };
}

/**
 * How long Mistral asks us to wait, in milliseconds: `Retry-After` (and the
 * other headers {@link parseRetryAfterMs} reads) first, else the seconds until
 * the size-based window resets (`ratelimitbysize-reset`).
 */
export function mistralRetryAfterMs(headers: HeaderSource, now?: number): number | undefined {
  const standard = parseRetryAfterMs(headers, now);
  if (standard !== undefined) return standard;
  const reset = (
    headerValue(headers, 'ratelimitbysize-reset') ?? headerValue(headers, 'x-ratelimitbysize-reset')
  )?.trim();
  return reset !== undefined && /^\d+(\.\d+)?$/.test(reset) ? Math.ceil(Number(reset) * 1_000) : undefined;
}

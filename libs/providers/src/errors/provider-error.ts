import { assertNever, type ProviderId } from '@turbostream/contracts';
import type { AnalysisUsage } from '../provider.js';
import { redactSecrets } from './redact.js';

/**
 * What the caller does with a failure:
 * - `rate-limited`: wait `retryAfterMs` (when known) and try again, without counting an attempt;
 * - `transient`: retry with backoff (5xx, timeouts, connection resets);
 * - `permanent`: never retry (bad request, bad key, unknown model, provider unavailable);
 * - `invalid-output`: the model answered, but not with a valid {@link ModelAnswer}; never retry.
 */
export type ProviderErrorKind = 'rate-limited' | 'transient' | 'permanent' | 'invalid-output';

const MARKER = Symbol.for('turbostream.providers.error');

export interface ProviderErrorOptions {
  provider: ProviderId;
  kind: ProviderErrorKind;
  message: string;
  statusCode?: number;
  retryAfterMs?: number;
  /** The provider's own error code (e.g. `invalid_api_key`), when it sent one. */
  code?: string;
  /** For `invalid-output`: what the model wrote, kept for one repair attempt (never logged). */
  output?: string;
  /** For `invalid-output`: the tokens the failed call used, so a repair can account for them. */
  usage?: AnalysisUsage;
}

/**
 * The one error family providers throw. Callers decide on `kind`,
 * `isRetryable` and `retryAfterMs`, never on the message. The message is
 * stripped of anything shaped like a credential; providers also strip their
 * own key before building one.
 */
export class ProviderError extends Error {
  readonly [MARKER] = true;
  readonly provider: ProviderId;
  readonly kind: ProviderErrorKind;
  readonly statusCode: number | undefined;
  readonly retryAfterMs: number | undefined;
  readonly code: string | undefined;
  readonly usage: ProviderErrorOptions['usage'];

  constructor(options: ProviderErrorOptions) {
    super(redactSecrets(options.message));
    this.name = 'ProviderError';
    this.provider = options.provider;
    this.kind = options.kind;
    this.statusCode = options.statusCode;
    this.retryAfterMs = options.retryAfterMs;
    this.code = options.code;
    // Not enumerable, so loggers that serialise errors leave the model's output out.
    Object.defineProperty(this, 'output', { value: options.output, enumerable: false });
    this.usage = options.usage;
  }

  /** For `invalid-output`: what the model wrote (not enumerable: it stays out of logs). */
  declare readonly output: string | undefined;

  /** True for `rate-limited` and `transient` failures. */
  get isRetryable(): boolean {
    return isRetryableKind(this.kind);
  }

  /** Recognises provider errors across copies of this package (no `instanceof`). */
  static isInstance(error: unknown): error is ProviderError {
    return typeof error === 'object' && error !== null && MARKER in error && error[MARKER] === true;
  }
}

export function isRetryableKind(kind: ProviderErrorKind): boolean {
  switch (kind) {
    case 'rate-limited':
    case 'transient':
      return true;
    case 'permanent':
    case 'invalid-output':
      return false;
    default:
      return assertNever(kind);
  }
}

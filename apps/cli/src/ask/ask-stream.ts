/**
 * "Ask a stream": a question about a stream's latest messages, answered by the
 * provider and model of one's choice, streamed back. The `turbostream ask`
 * command prints it; a server (the dashboard) can send the same events on.
 */
import { resolveTarget, type TurboConfig } from '@turbostream/config';
import { type AnalysisTarget, PROVIDER_IDS, type ProviderId } from '@turbostream/contracts';
import { PriceBook } from '@turbostream/costs';
import { type AnalysisUsage, createProvider, type FinishReason } from '@turbostream/providers';
import { type KeyLayout, type RedisClient, readTargetOverrides } from '@turbostream/redis';
import { redisNewest, selectRecent } from './recent-messages.js';

/** Input tokens of the prompt (question, fixed text and messages) when none is given: a few thousand. */
export const DEFAULT_ASK_MAX_TOKENS_IN = 4000;

/** Why a question could not be asked, before any model was called. */
export type AskErrorCode =
  /** No such stream: not in the streams file and no messages in Redis. */
  | 'unknown-stream'
  /** A provider or model that cannot be resolved (unknown provider, no model), or none named when one is needed. */
  | 'bad-target'
  /** The provider is not configured here: the message names the variables to set. */
  | 'unconfigured'
  /** The provider cannot answer questions (the heuristic). */
  | 'cannot-answer'
  /** The stream holds no message yet. */
  | 'no-messages'
  /** Not even the newest message fits the input token budget. */
  | 'budget';

/** A question that cannot be asked, and why, for a person: the CLI prints the message, a server maps the code. */
export class AskError extends Error {
  readonly code: AskErrorCode;

  constructor(code: AskErrorCode, message: string) {
    super(message);
    this.name = 'AskError';
    this.code = code;
  }
}

/**
 * What {@link askStream} yields, in this order: one `context` (what is asked,
 * of whom), the answer's `token`s as the model writes them (model text:
 * untrusted, escape it for a terminal or a page), then one `done`. A failure of
 * the call is thrown (a `ProviderError`) instead of `done`.
 */
export type AskEvent =
  | {
      type: 'context';
      streamId: string;
      provider: ProviderId;
      model: string;
      /** Messages and gaps sent, the newest of the stream. */
      messages: number;
      gaps: number;
      /** Epoch ms of the oldest and newest entry sent. */
      from: number;
      to: number;
      /** True when older messages were left out to fit `maxTokensIn`. */
      olderLeftOut: boolean;
      /** The prompt's input tokens as TurboStream counts them (the provider's own count comes with `done`). */
      estimatedInputTokens: number;
      maxTokensIn: number;
    }
  | { type: 'token'; text: string }
  | {
      type: 'done';
      /** Milliseconds from the request to the first token of the answer, and to its end. */
      ttftMs: number;
      totalMs: number;
      /** As the provider reported it. */
      usage: AnalysisUsage;
      /** What the call cost in US dollars; null when the model has no price. */
      costUsd: number | null;
      /** `length`: cut off at `LLM_MAX_TOKENS`; `content-filter`: stopped by the provider's filter. */
      finishReason: FinishReason;
    };

export interface AskStreamOptions {
  /** The Redis and key layout the stream's messages are in. */
  redis: RedisClient;
  keys: KeyLayout;
  /** Streams (default targets), provider settings, `LLM_MAX_TOKENS`, `LLM_TEMPERATURE`, `LLM_TIMEOUT_MS`. */
  config: Pick<TurboConfig, 'streams' | 'streamsFile' | 'providers' | 'llm' | 'heuristic'>;
  streamId: string;
  /** The user's question: trusted, like a stream's instructions. */
  question: string;
  /** The provider to ask, as the user wrote it (`grok` is xai); default: the stream's own target. */
  provider?: string | undefined;
  /** Its model; default: the stream's (with no provider named), else `<PROVIDER>_MODEL`. */
  model?: string | undefined;
  /** @defaultValue {@link DEFAULT_ASK_MAX_TOKENS_IN} */
  maxTokensIn?: number | undefined;
  /** The prices in force. @defaultValue the built-in table */
  prices?: PriceBook | undefined;
  /** Aborts the call; so does leaving the iteration early. */
  signal?: AbortSignal | undefined;
}

/** The provider and model to ask: the one named, else the stream's own target (as set while running, else the file). */
async function chooseTarget(options: AskStreamOptions): Promise<AnalysisTarget> {
  const { config, streamId } = options;
  const stream = config.streams.find((candidate) => candidate.id === streamId);
  if (options.provider !== undefined) {
    const resolved = resolveTarget(
      { provider: options.provider, model: options.model },
      { providers: config.providers, nameIt: 'name one (--model M)' },
    );
    if (!('target' in resolved)) throw new AskError('bad-target', resolved.message);
    return resolved.target;
  }
  if (!stream)
    throw new AskError(
      'bad-target',
      `stream ${streamId} is not in ${config.streamsFile ?? 'the streams file'}, so it has no target of its own: ` +
        'name a provider (--provider P [--model M])',
    );
  const own = (await readTargetOverrides(options.redis, options.keys)).get(streamId)?.targets[0] ?? stream.targets[0];
  if (!own) throw new AskError('bad-target', `stream ${streamId} has no target: name a provider (--provider P)`);
  return options.model ? { provider: own.provider, model: options.model } : own;
}

/** The stream must be in the streams file or have messages in Redis. */
async function checkStream(options: AskStreamOptions): Promise<void> {
  const { config, streamId } = options;
  if (config.streams.some((stream) => stream.id === streamId)) return;
  if ((await options.redis.exists(options.keys.messages(streamId))) > 0) return;
  const known = config.streams.map((stream) => stream.id).join(', ') || '(none: no streams file)';
  throw new AskError(
    'unknown-stream',
    `no stream ${JSON.stringify(streamId)} in ${config.streamsFile ?? 'streams.yaml'}, and no messages of it in ` +
      `Redis; known streams: ${known}`,
  );
}

const cannotAnswer = (provider: ProviderId, defaulted: boolean) =>
  new AskError(
    'cannot-answer',
    `${provider} cannot answer questions: it finds outliers and error-level messages, it does not read or write ` +
      `text${defaulted ? " (it is the stream's own target)" : ''}; ask a model with --provider P [--model M] ` +
      `(one of ${PROVIDER_IDS.filter((id) => id !== 'heuristic').join(', ')})`,
  );

/**
 * Asks a question about a stream's latest messages and yields the answer as it
 * streams ({@link AskEvent}). Checks come first, each an {@link AskError}
 * thrown by the first `next()`, before any model is called: the stream exists
 * (streams file or Redis), the provider and model (named, else the stream's own
 * target) resolve, are configured here (else the variables to set) and can
 * answer (not the heuristic), and some messages fit. Then the newest messages
 * whose prompt fits `maxTokensIn` input tokens (counted with the model family's
 * tokenizer, as budgets count) are rendered as the analyzer renders a window —
 * fenced and escaped, data, never instructions — and sent with the question;
 * the first event, `context`, says what was sent. A server can await it before
 * committing to an answer.
 */
export async function* askStream(options: AskStreamOptions): AsyncGenerator<AskEvent, void, undefined> {
  const { config, streamId } = options;
  await checkStream(options);
  const target = await chooseTarget(options);
  const defaulted = options.provider === undefined;
  if (target.provider === 'heuristic') throw cannotAnswer(target.provider, defaulted);
  const settings = config.providers[target.provider];
  if (!settings.configured)
    throw new AskError(
      'unconfigured',
      `provider ${target.provider} is not configured: set ${settings.missing.join(', ')} (in env.local or the ` +
        `environment; see env.local.example)${defaulted ? ', or ask another provider with --provider P' : ''}`,
    );
  const provider = createProvider(target.provider, settings, { heuristic: config.heuristic });
  if (!provider.ask) throw cannotAnswer(target.provider, defaulted);
  const maxTokensIn = options.maxTokensIn ?? DEFAULT_ASK_MAX_TOKENS_IN;
  const selected = await selectRecent(redisNewest(options.redis, options.keys.messages(streamId)), {
    streamId,
    question: options.question,
    provider: target.provider,
    model: target.model,
    maxTokensIn,
  });
  if ('nothing' in selected) {
    if (selected.nothing === 'empty')
      throw new AskError('no-messages', `stream ${streamId} has no messages in Redis yet: nothing to ask about`);
    throw new AskError(
      'budget',
      `the question with the newest message of ${streamId} needs ${selected.newestTokens} input tokens, more than ` +
        `--max-tokens-in ${maxTokensIn}: raise it`,
    );
  }
  const { window } = selected;
  yield {
    type: 'context',
    streamId,
    provider: target.provider,
    model: target.model,
    messages: window.messages.length,
    gaps: window.gaps.length,
    from: window.from,
    to: window.to,
    olderLeftOut: selected.olderLeftOut,
    estimatedInputTokens: selected.inputTokens,
    maxTokensIn,
  };
  const prices = options.prices ?? new PriceBook();
  for await (const chunk of provider.ask({
    model: target.model,
    question: options.question,
    window,
    limits: selected.limits,
    maxTokens: config.llm.maxTokens,
    temperature: config.llm.temperature,
    timeoutMs: config.llm.timeoutMs,
    ...(options.signal ? { signal: options.signal } : {}),
  })) {
    if (chunk.type === 'text') {
      yield { type: 'token', text: chunk.text };
      continue;
    }
    yield {
      type: 'done',
      ttftMs: chunk.timings.ttftMs,
      totalMs: chunk.timings.totalMs,
      usage: chunk.usage,
      costUsd: prices.costOf(target.provider, target.model, chunk.usage),
      finishReason: chunk.finishReason,
    };
  }
}

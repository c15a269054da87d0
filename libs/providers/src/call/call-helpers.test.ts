import { describe, expect, it } from 'vitest';
import { callFailure, mapTransportError, mapUnexpectedError } from '../errors/map-transport-error.js';
import { requireApiKey } from '../errors/require-api-key.js';
import type { CallContext } from './call-context.js';
import { type DeadlineCall, streamWithDeadline, withDeadline } from './call-deadline.js';
import { emptyCollectedStream } from './collected-stream.js';
import { finishProblem, finishResult } from './finish-result.js';

const SECRET = 'sk-test-secret-0123456789';
const context = (overrides: Partial<CallContext> = {}): CallContext => ({
  provider: 'openai',
  timedOut: false,
  aborted: false,
  timeoutMs: 50,
  secrets: [SECRET],
  ...overrides,
});
/** Maps like a provider does: transport failures, then anything else. */
const mapError = (error: unknown, callContext: CallContext) =>
  mapTransportError(error, callContext) ?? mapUnexpectedError(error, callContext);
const never = (signal: AbortSignal) =>
  new Promise<never>((_resolve, reject) =>
    signal.addEventListener('abort', () => reject(new Error('stopped')), { once: true }),
  );

describe('withDeadline', () => {
  it('returns what the call returns, with a live signal and the start time', async () => {
    let seen: DeadlineCall | undefined;
    const result = await withDeadline(
      { provider: 'openai', request: { timeoutMs: 1000 }, secrets: [], mapError },
      async (call) => {
        seen = call;
        return 42;
      },
    );
    expect(result).toBe(42);
    expect(seen?.signal.aborted).toBe(false);
    expect(seen?.startedAt).toBeTypeOf('number');
  });

  it('aborts the call at the deadline and maps the failure as a timeout', async () => {
    const contexts: CallContext[] = [];
    const recording = (thrown: unknown, callContext: CallContext) => {
      contexts.push(callContext);
      return mapError(thrown, callContext);
    };
    const call = withDeadline(
      { provider: 'mistral', request: { timeoutMs: 20 }, secrets: [SECRET], mapError: recording },
      (deadline) => never(deadline.signal),
    );
    await expect(call).rejects.toMatchObject({
      kind: 'transient',
      provider: 'mistral',
      message: 'mistral did not finish within 20 ms (timeout)',
    });
    expect(contexts).toEqual([
      { provider: 'mistral', timedOut: true, aborted: false, timeoutMs: 20, secrets: [SECRET] },
    ]);
  });

  it(
    "forwards the caller's abort, also one that came before the call, and then lets go of the caller's " + 'signal',
    async () => {
      const caller = new AbortController();
      const pending = withDeadline(
        { provider: 'gemini', request: { timeoutMs: 10_000, signal: caller.signal }, secrets: [], mapError },
        (call) => never(call.signal),
      );
      caller.abort();
      await expect(pending).rejects.toMatchObject({ kind: 'transient', message: 'gemini request was aborted' });

      const early = withDeadline(
        { provider: 'gemini', request: { timeoutMs: 10_000, signal: caller.signal }, secrets: [], mapError },
        (call) => (call.signal.aborted ? Promise.reject(new Error('x')) : Promise.resolve(1)),
      );
      await expect(early).rejects.toMatchObject({ message: 'gemini request was aborted' });

      const later = new AbortController();
      let signal: AbortSignal | undefined;
      await withDeadline(
        { provider: 'gemini', request: { timeoutMs: 10_000, signal: later.signal }, secrets: [], mapError },
        async (call) => {
          signal = call.signal;
        },
      );
      later.abort();
      expect(signal?.aborted).toBe(false);
    },
  );

  it('passes what the call threw, with the context, to the mapper', async () => {
    const call = withDeadline({ provider: 'openai', request: { timeoutMs: 10_000 }, secrets: [SECRET], mapError }, () =>
      Promise.reject(new TypeError(`bad ${SECRET}`, { cause: new Error('reset') })),
    );
    await expect(call).rejects.toMatchObject({
      kind: 'transient',
      message: 'openai stream failed: TypeError: bad [redacted] (reset)',
    });
  });
});

describe('streamWithDeadline', () => {
  const options = (timeoutMs: number, signal?: AbortSignal) => ({
    provider: 'anthropic' as const,
    request: { timeoutMs, ...(signal ? { signal } : {}) },
    secrets: [SECRET],
    mapError,
  });

  it('yields what the call yields, as it yields it', async () => {
    const seen: number[] = [];
    for await (const item of streamWithDeadline(options(1000), async function* () {
      yield 1;
      yield 2;
    }))
      seen.push(item);
    expect(seen).toEqual([1, 2]);
  });

  it('maps a failure after some items, and a deadline that passes between items', async () => {
    const seen: number[] = [];
    const failing = streamWithDeadline(options(1000), async function* () {
      yield 1;
      throw new Error(`dropped ${SECRET}`);
    });
    await expect(
      (async () => {
        for await (const item of failing) seen.push(item);
      })(),
    ).rejects.toMatchObject({ kind: 'transient', message: 'anthropic stream failed: Error: dropped [redacted]' });
    expect(seen).toEqual([1]);
    const slow = streamWithDeadline(options(30), async function* (call) {
      yield 1;
      await never(call.signal);
    });
    await expect(
      (async () => {
        for await (const _item of slow);
      })(),
    ).rejects.toMatchObject({ message: 'anthropic did not finish within 30 ms (timeout)' });
  });

  it("aborts the call when the reader stops early, and lets go of the caller's signal", async () => {
    const caller = new AbortController();
    let signal: AbortSignal | undefined;
    for await (const _item of streamWithDeadline(options(10_000, caller.signal), async function* (call) {
      signal = call.signal;
      yield 1;
      yield 2;
    }))
      break;
    expect(signal?.aborted).toBe(true);
    const kept = new AbortController();
    let other: AbortSignal | undefined;
    for await (const _item of streamWithDeadline(options(10_000, kept.signal), async function* (call) {
      other = call.signal;
      yield 1;
    }));
    expect(other?.aborted).toBe(false);
    kept.abort();
    expect(other?.aborted).toBe(false);
  });
});

describe('finishResult', () => {
  const answer = '{"alerts":[]}';
  const live = (): DeadlineCall => ({ signal: new AbortController().signal, startedAt: performance.now() });
  const collected = (finishReason: string | undefined) => ({
    ...emptyCollectedStream(),
    finishReason,
    ttftMs: 3,
    usage: { inputTokens: 10, outputTokens: 2 },
  });
  const refs = new Map([
    ['1', '1764102000000-0'],
    ['2', '1764102000100-0'],
    ['3', '1764102000100-1'],
  ]);
  const mapFinishReason = (reason: string) =>
    reason === 'done' ? ('stop' as const) : reason === 'cut' ? ('length' as const) : ('other' as const);

  it('validates the answer and takes the timings', () => {
    const result = finishResult(live(), collected('done'), {
      provider: 'openai',
      refs,
      output: answer,
      mapFinishReason,
      raw: { id: 'r1' },
    });
    expect(result).toMatchObject({
      answer: { alerts: [] },
      finishReason: 'stop',
      usage: { inputTokens: 10, outputTokens: 2 },
      raw: { id: 'r1' },
    });
    expect(result.timings.ttftMs).toBe(3);
    expect(result.timings.totalMs).toBeGreaterThanOrEqual(0);
  });

  it('turns the refs the answer cites into entry ids, each once, and drops refs the prompt did not show', () => {
    const alert = (evidence: string[]) => ({ severity: 'warning', title: 't', summary: 's', evidence });
    const output = JSON.stringify({
      alerts: [alert(['3', '1', 'L2', '3', '4', '1764102000000-0', ' 2', '#2', '2']), alert([])],
    });
    const result = finishResult(live(), collected('done'), {
      provider: 'openai',
      refs,
      output,
      mapFinishReason,
      raw: {},
    });
    expect(result.answer).toEqual({
      alerts: [alert(['1764102000100-1', '1764102000000-0', '1764102000100-0']), alert([])],
    });
    // A prompt that showed nothing (every entry left out) leaves no evidence.
    const none = finishResult(live(), collected('done'), {
      provider: 'openai',
      refs: new Map(),
      output,
      mapFinishReason,
      raw: {},
    });
    expect(none.answer.alerts[0]?.evidence).toEqual([]);
  });

  it('uses the total time as time to first token when no token came', () => {
    const result = finishResult(
      live(),
      { ...collected('done'), ttftMs: undefined },
      { provider: 'openai', refs, output: answer, mapFinishReason, raw: {} },
    );
    expect(result.timings.ttftMs).toBe(result.timings.totalMs);
  });

  it('fails on an aborted call with a plain error for the deadline to map, before anything else', () => {
    const controller = new AbortController();
    controller.abort();
    const call = { signal: controller.signal, startedAt: 0 };
    expect(() =>
      finishResult(call, collected(undefined), {
        provider: 'openai',
        refs,
        output: '',
        mapFinishReason,
        failFirst: () => callFailure(context(), 'blocked'),
        raw: {},
      }),
    ).toThrow(/^aborted$/);
  });

  it('fails on a stream without a finish reason, unless an earlier failure wins', () => {
    const incomplete = () =>
      finishResult(live(), collected(undefined), {
        provider: 'anthropic',
        refs,
        output: '{"al',
        mapFinishReason,
        fail: () => callFailure(context(), 'late', 'permanent'),
        raw: {},
      });
    expect(incomplete).toThrow(
      expect.objectContaining({
        kind: 'transient',
        message: 'anthropic stream ended before the answer was complete (4 characters received)',
      }),
    );
    const blocked = () =>
      finishResult(live(), collected(undefined), {
        provider: 'gemini',
        refs,
        output: '',
        mapFinishReason,
        failFirst: () => callFailure(context({ provider: 'gemini' }), 'blocked', 'permanent'),
        raw: {},
      });
    expect(blocked).toThrow(expect.objectContaining({ kind: 'permanent', message: 'blocked' }));
  });

  it('asks the provider about the finish reason, and says why an unusable answer stopped', () => {
    const failed = () =>
      finishResult(live(), collected('done'), {
        provider: 'mistral',
        refs,
        output: answer,
        mapFinishReason,
        fail: (reason) => (reason === 'stop' ? callFailure(context(), 'refused', 'invalid-output') : undefined),
        raw: {},
      });
    expect(failed).toThrow(expect.objectContaining({ kind: 'invalid-output', message: 'refused' }));
    const cut = () =>
      finishResult(live(), collected('cut'), {
        provider: 'openai',
        refs,
        output: '{"alerts":[',
        mapFinishReason,
        raw: {},
      });
    expect(cut).toThrow(
      expect.objectContaining({
        kind: 'invalid-output',
        usage: { inputTokens: 10, outputTokens: 2 },
        message: expect.stringContaining('(cut off at the token limit)'),
      }),
    );
    const own = () =>
      finishResult(live(), collected('odd'), {
        provider: 'gemini',
        refs,
        output: 'no',
        mapFinishReason,
        problem: (_reason, raw) => `stopped with ${raw}`,
        raw: {},
      });
    expect(own).toThrow(expect.objectContaining({ message: expect.stringContaining('(stopped with odd)') }));
  });

  it('has a default reason for unusable answers', () => {
    expect(finishProblem('length')).toBe('cut off at the token limit');
    expect(finishProblem('content-filter')).toBe('stopped by the content filter');
    expect(finishProblem('stop')).toBe('');
  });
});

describe('mapTransportError', () => {
  class SdkTimeout extends Error {}
  class SdkAbort extends Error {}
  class SdkConnection extends Error {}
  const classes = { timeout: SdkTimeout, abort: SdkAbort, connection: SdkConnection };

  it('lets a ProviderError through unchanged', () => {
    const original = callFailure(context(), 'already mapped', 'permanent');
    expect(mapTransportError(original, context({ timedOut: true }), classes)).toBe(original);
  });

  it('reports our deadline, then an abort, then a failed connection, each as transient', () => {
    expect(mapTransportError(new SdkAbort('x'), context({ timedOut: true, aborted: true }), classes)?.message).toBe(
      'openai did not finish within 50 ms (timeout)',
    );
    expect(mapTransportError(new SdkTimeout('x'), context(), classes)?.message).toBe(
      'openai did not finish within 50 ms (timeout)',
    );
    expect(mapTransportError(new SdkConnection('x'), context({ aborted: true }), classes)?.message).toBe(
      'openai request was aborted',
    );
    expect(mapTransportError(new SdkAbort('x'), context(), classes)?.message).toBe('openai request was aborted');
    const connection = mapTransportError(new SdkConnection(`refused ${SECRET}`), context(), classes);
    expect(connection).toMatchObject({ kind: 'transient', message: 'openai connection failed: refused [redacted]' });
  });

  it('leaves anything else to the provider', () => {
    expect(mapTransportError(new Error('HTTP 500'), context(), classes)).toBeUndefined();
    expect(mapTransportError(new SdkTimeout('x'), context())).toBeUndefined();
  });
});

describe('mapUnexpectedError', () => {
  it('reports an error with its cause, cut to a length when asked, and anything else as it prints', () => {
    expect(
      mapUnexpectedError(new RangeError('abcdef', { cause: new Error('socket hang up') }), context(), 3).message,
    ).toBe('openai stream failed: RangeError: abc (socket hang up)');
    expect(mapUnexpectedError('weird', context())).toMatchObject({
      kind: 'transient',
      message: 'openai call failed: weird',
    });
  });
});

describe('requireApiKey', () => {
  it('returns the key, and refuses a missing or empty one as permanent', () => {
    expect(requireApiKey('xai', 'k')).toBe('k');
    expect(() => requireApiKey('xai', '')).toThrow(
      expect.objectContaining({ kind: 'permanent', message: 'provider xai has no API key' }),
    );
    expect(() => requireApiKey('xai', undefined)).toThrow(expect.objectContaining({ kind: 'permanent' }));
  });
});

export interface FailureContext {
  streamId: string | undefined;
  windowId: string | undefined;
  provider: string | undefined;
  model: string | undefined;
}

function member(value: unknown, name: string): unknown {
  if (typeof value !== 'object' || value === null) return undefined;
  const found: unknown = Object.getOwnPropertyDescriptor(value, name)?.value;
  return found;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value.slice(0, 200) : undefined;
}

/** Reads the window and target of a job, tolerating data that is not a valid WindowJob, to say which window failed. */
export function failureContext(data: unknown): FailureContext {
  const window = member(data, 'window');
  const target = member(data, 'target');
  return {
    streamId: text(member(window, 'streamId')),
    windowId: text(member(window, 'windowId')),
    provider: text(member(target, 'provider')),
    model: text(member(target, 'model')),
  };
}

/** How many messages the window of a job holds, tolerating data that is not a valid WindowJob (0 then). */
export function messagesOf(data: unknown): number {
  const messages = member(member(data, 'window'), 'messages');
  return Array.isArray(messages) ? messages.length : 0;
}

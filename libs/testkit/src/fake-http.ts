import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';

// The HTTP plumbing the loopback LLM fakes share. Internal to the testkit: index.ts does not export it.

/** What every fake records of a request. */
export interface FakeHttpRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: unknown;
}

/** What `handle` gets besides the request and the response. */
export interface FakeHttpContext<Handler> {
  /** False when the body was not JSON. */
  parsed: boolean;
  /** The reply handler in force (the last one `setHandler` set). */
  handler: Handler;
}

export interface FakeHttpServerOptions<Request extends FakeHttpRequest, Handler> {
  /** Names the fake in the error thrown when the server has no port, e.g. `OpenAI`. */
  name: string;
  /** The reply handler to start with. */
  handler: Handler;
  /** Builds the recorded request from the incoming one and its parsed body (`undefined` when empty or not JSON). */
  record(incoming: IncomingMessage, body: unknown): Request;
  /** Answers a recorded request the provider's way. */
  handle(request: Request, response: ServerResponse, context: FakeHttpContext<Handler>): Promise<void>;
  /** Answers with the provider's 500 error body when `handle` throws before the headers went out. */
  fail(response: ServerResponse, message: string): void;
}

export interface FakeHttpServer<Request extends FakeHttpRequest, Handler> {
  /** `http://127.0.0.1:{port}` */
  readonly origin: string;
  /** Every request received, in order. */
  readonly requests: Request[];
  setHandler(handler: Handler): void;
  /** Drops open connections and stops listening; idempotent. */
  close(): Promise<void>;
}

/** Reads a property of a parsed JSON value without trusting its shape. */
export function field(value: unknown, name: string): unknown {
  if (typeof value !== 'object' || value === null) return undefined;
  const found: unknown = Object.getOwnPropertyDescriptor(value, name)?.value;
  return found;
}

/** Waits, unless the response closes first; true when the response is still open. */
export function pause(ms: number | undefined, response: ServerResponse): Promise<boolean> {
  if (!ms || ms <= 0) return Promise.resolve(!response.destroyed);
  return new Promise((resolve) => {
    const onClose = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      response.off('close', onClose);
      resolve(!response.destroyed);
    }, ms);
    response.once('close', onClose);
  });
}

/** Sends `body` as JSON with its length; `headers` may replace the content type. */
export function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  response.end(text);
}

/** The token of an `Authorization: Bearer …` header. */
export function bearerToken(headers: IncomingHttpHeaders): string | undefined {
  const header = headers.authorization;
  return typeof header === 'string' ? /^Bearer (.+)$/.exec(header)?.[1] : undefined;
}

/** What is wrong with the key a request sent, against the only key accepted (any key when `accepted` is undefined). */
export function keyProblem(key: string | undefined, accepted: string | undefined): 'missing' | 'invalid' | undefined {
  if (key === undefined) return 'missing';
  return accepted !== undefined && key !== accepted ? 'invalid' : undefined;
}

/** True for a `POST` to exactly this path (any query). */
export function isPostTo(request: FakeHttpRequest, path: string): boolean {
  return request.method === 'POST' && request.path.split('?')[0] === path;
}

/** The base record: method, path with query, headers and body. */
export function recordRequest(incoming: IncomingMessage, body: unknown): FakeHttpRequest {
  return { method: incoming.method ?? 'GET', path: incoming.url ?? '/', headers: incoming.headers, body };
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function parseBody(text: string): { ok: true; body: unknown } | { ok: false } {
  if (text === '') return { ok: true, body: undefined };
  try {
    return { ok: true, body: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

/**
 * Starts a loopback HTTP server that reads and JSON-parses each request's
 * body, records the request, and hands it to `handle` with the reply handler
 * in force; a failure becomes the provider's 500, or a dropped connection
 * once the headers went out. `close()` drops open connections.
 */
export async function startFakeHttpServer<Request extends FakeHttpRequest, Handler>(
  options: FakeHttpServerOptions<Request, Handler>,
): Promise<FakeHttpServer<Request, Handler>> {
  const requests: Request[] = [];
  let handler = options.handler;
  async function handle(incoming: IncomingMessage, response: ServerResponse): Promise<void> {
    const parsed = parseBody(await readBody(incoming));
    const request = options.record(incoming, parsed.ok ? parsed.body : undefined);
    requests.push(request);
    await options.handle(request, response, { parsed: parsed.ok, handler });
  }
  const server = createServer((incoming, response) => {
    handle(incoming, response).catch((error: unknown) => {
      if (response.headersSent) {
        response.destroy();
        return;
      }
      options.fail(response, `fake handler failed: ${error instanceof Error ? error.message : String(error)}`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (!address || typeof address !== 'object') throw new Error(`fake ${options.name} server has no port`);
  let closing: Promise<void> | undefined;
  return {
    origin: `http://127.0.0.1:${address.port}`,
    requests,
    setHandler(next) {
      handler = next;
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
      return closing;
    },
  };
}

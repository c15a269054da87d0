/**
 * The dashboard's HTTP server (node:http, no framework: a handful of routes). Every response carries a
 * Content-Security-Policy that allows this origin's own scripts, styles and connections only (no inline script, no
 * other site), and is refused to frames; every request passes the access rules of auth.ts first.
 *
 *   GET /                 the page          GET /app.css, /app/<module>.js   its style and scripts
 *   GET /api/events       server-sent events: hello, alert, event, streams, providers (api.ts)
 *   GET /api/evidence?stream=ID&ids=A,B   the messages an alert cites, read back from the stream by entry id
 *   POST /api/streams/targets   switches a stream's targets, as `turbostream streams set` does (JSON, api.ts)
 *   POST /api/ask         asks a stream a question, as `turbostream ask` does: the answer streams back as
 *                         server-sent events (DashboardAskEvents), token by token
 *
 * Changes (POST) need DASHBOARD_TOKEN and come from the dashboard's own page only (auth.ts); their body is JSON
 * (`Content-Type: application/json`, which no HTML form sends), of a few kilobytes at most.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { formatTargets } from '@turbostream/contracts';
import type { Logger } from '@turbostream/logging';
import { ProviderError } from '@turbostream/providers';
import { DASHBOARD_LIMITS } from './api.js';
import { APP_CSS, INDEX_HTML, loadScripts } from './assets.js';
import { UsageError } from '../runtime/load.js';
import type { SetTargetsRequest } from '../streams/set-targets.js';
import { AskError, type AskEvent } from '../ask/ask-stream.js';
import { describeContext, describeDone } from '../ask/format-ask.js';
import {
  ASK_QUESTION_MAX,
  type DashboardAskEvents,
  type DashboardErrorReply,
  type DashboardSetTargetsReply,
} from './api.js';
import { CHANGE_HEADER, checkAccess } from './auth.js';
import { type DashboardSource, ENTRY_ID, STREAM_ID, type SecretScrubber } from './data.js';
import type { DashboardHub } from './hub.js';

export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
} as const;

export interface DashboardServerOptions {
  host: string;
  port: number;
  /** DASHBOARD_TOKEN: when set, every request needs it. */
  token: string | undefined;
  source: DashboardSource;
  hub: DashboardHub;
  scrubber: SecretScrubber;
  logger: Logger;
  /** Where the page's compiled scripts are. @defaultValue assets.ts' SCRIPTS_DIR */
  scriptsDir?: string;
}

export interface RunningDashboard {
  /** `http://127.0.0.1:7700/` (the port it got when asked for 0). */
  url: string;
  port: number;
  server: Server;
  close(): Promise<void>;
}

function send(
  response: ServerResponse,
  status: number,
  body: string | Buffer,
  type: string,
  headers: Record<string, string> = {},
): void {
  response.writeHead(status, {
    ...SECURITY_HEADERS,
    'Content-Type': type,
    'Content-Length': String(Buffer.byteLength(body)),
    'Cache-Control': 'no-store',
    ...headers,
  });
  response.end(response.req.method === 'HEAD' ? undefined : body);
}

const TEXT = 'text/plain; charset=utf-8';
const JSON_TYPE = 'application/json; charset=utf-8';

/** The largest body a change may have. */
const MAX_BODY_BYTES = 16 * 1024;

/** A request that cannot be taken, with the status and text to answer. */
class BadRequest extends Error {
  constructor(
    readonly status: 400 | 413 | 415,
    message: string,
  ) {
    super(message);
  }
}

/** The JSON object of a change's body. */
async function readJson(request: IncomingMessage): Promise<Record<string, unknown>> {
  const type = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json') throw new BadRequest(415, 'expected a JSON body (Content-Type: application/json)');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new BadRequest(413, `the body is larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  let body: unknown;
  try {
    body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new BadRequest(400, 'the body is not JSON');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new BadRequest(400, 'expected a JSON object');
  return body as Record<string, unknown>;
}

function optionalString(body: Record<string, unknown>, name: string, max = 200): string | undefined {
  const value = body[name];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string' || value.length > max)
    throw new BadRequest(400, `${name}: expected a text of at most ${max} characters`);
  return value;
}

/** A switch request as `setStreamTargetsIn` takes it, or BadRequest. */
function setTargetsRequest(body: Record<string, unknown>): SetTargetsRequest {
  const stream = optionalString(body, 'stream', 64) ?? '';
  if (!STREAM_ID.test(stream)) throw new BadRequest(400, 'stream: expected a stream id');
  const compare = body.compare ?? [];
  if (!Array.isArray(compare) || compare.length > 16 || !compare.every((item) => typeof item === 'string'))
    throw new BadRequest(400, 'compare: expected at most 16 targets (P, P/M or P/M@0.1)');
  const provider = optionalString(body, 'provider');
  const model = optionalString(body, 'model');
  return {
    id: stream,
    ...(provider === undefined ? {} : { provider }),
    ...(model === undefined ? {} : { model }),
    compare: (compare as string[]).map((item) => item.trim()).filter((item) => item !== ''),
    noCompare: body.noCompare === true,
    reset: body.reset === true,
  } satisfies SetTargetsRequest;
}

/** A failed call, worded as `turbostream ask` words it. */
function askFailed(error: ProviderError): string {
  const status = error.statusCode ? ` ${error.statusCode}` : '';
  return `ask failed (${error.kind}${status}): ${error.message}`;
}

/** Who made a change from the dashboard, as `turbostream streams` shows it. */
function changedBy(request: IncomingMessage): string {
  return `the dashboard (${request.socket.remoteAddress ?? 'unknown address'})`;
}

function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

/** Starts the server; resolves once it listens (rejects when it cannot: the port taken, the address unknown). */
export async function startDashboardServer(options: DashboardServerOptions): Promise<RunningDashboard> {
  const { token, source, hub, scrubber, logger } = options;
  const scripts = loadScripts(options.scriptsDir);

  async function route(request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> {
    const method = request.method ?? 'GET';
    const path = url.pathname;
    if (method === 'POST' && path === '/api/streams/targets') return setTargets(request, response);
    if (method === 'POST' && path === '/api/ask') return ask(request, response);
    if (method !== 'GET' && method !== 'HEAD') {
      send(response, 405, 'method not allowed\n', TEXT, { Allow: 'GET, HEAD' });
      return;
    }
    if (path === '/' || path === '/index.html') return send(response, 200, INDEX_HTML, 'text/html; charset=utf-8');
    if (path === '/app.css') return send(response, 200, APP_CSS, 'text/css; charset=utf-8');
    if (path.startsWith('/app/')) {
      const script = scripts.get(path.slice('/app/'.length));
      if (script) return send(response, 200, script, 'text/javascript; charset=utf-8');
    }
    if (path === '/favicon.ico') return send(response, 204, '', TEXT);
    if (path === '/api/events') {
      response.writeHead(200, {
        ...SECURITY_HEADERS,
        'Content-Type': 'text/event-stream; charset=utf-8',
        'Cache-Control': 'no-store',
        Connection: 'keep-alive',
        'X-Accel-Buffering': 'no',
      });
      response.write('retry: 1000\n\n');
      request.socket.setNoDelay(true);
      await hub.add(response);
      return;
    }
    if (path === '/api/evidence') {
      const stream = url.searchParams.get('stream') ?? '';
      const ids = (url.searchParams.get('ids') ?? '').split(',').filter((id) => id !== '');
      if (!STREAM_ID.test(stream)) return send(response, 400, 'expected ?stream=<a stream id>&ids=<entry ids>\n', TEXT);
      if (ids.length > DASHBOARD_LIMITS.evidenceIds || !ids.every((id) => ENTRY_ID.test(id)))
        return send(
          response,
          400,
          `expected at most ${DASHBOARD_LIMITS.evidenceIds} entry ids (1700000000000-0), comma-separated\n`,
          TEXT,
        );
      const evidence = await source.evidence(stream, ids);
      return send(response, 200, scrubber.scrub(JSON.stringify(evidence)), JSON_TYPE);
    }
    send(response, 404, 'not found\n', TEXT);
  }

  const sendJson = (response: ServerResponse, status: number, body: unknown) =>
    send(response, status, scrubber.scrub(JSON.stringify(body)), JSON_TYPE);

  async function setTargets(request: IncomingMessage, response: ServerResponse): Promise<void> {
    try {
      const body = setTargetsRequest(await readJson(request));
      const result = await source.setTargets(body, changedBy(request));
      logger.info(
        { streamId: body.id, by: changedBy(request), targets: result.targets },
        `dashboard: ${result.message}`,
      );
      hub.refreshSoon();
      const reply: DashboardSetTargetsReply = {
        message: result.message,
        warnings: result.warnings,
        targetsText: formatTargets(result.targets, result.samples),
      };
      sendJson(response, 200, reply);
    } catch (error) {
      if (error instanceof BadRequest || error instanceof UsageError) {
        const reply: DashboardErrorReply = { error: error.message };
        sendJson(response, error instanceof BadRequest ? error.status : 400, reply);
        return;
      }
      throw error;
    }
  }

  async function ask(request: IncomingMessage, response: ServerResponse): Promise<void> {
    let events: AsyncGenerator<AskEvent, void, undefined>;
    let first: IteratorResult<AskEvent, void>;
    const controller = new AbortController();
    // A page that goes away (closed, reloaded) stops the call.
    response.once('close', () => {
      if (!response.writableFinished) controller.abort();
    });
    try {
      const body = await readJson(request);
      const streamId = optionalString(body, 'stream', 64) ?? '';
      if (!STREAM_ID.test(streamId)) throw new BadRequest(400, 'stream: expected a stream id');
      const question = optionalString(body, 'question', ASK_QUESTION_MAX)?.trim() ?? '';
      if (question === '') throw new BadRequest(400, 'ask a question');
      events = source.ask({
        streamId,
        question,
        provider: optionalString(body, 'provider'),
        model: optionalString(body, 'model'),
        signal: controller.signal,
      });
      // The checks (AskError) come before any call: answered as a 400 with their text.
      first = await events.next();
    } catch (error) {
      if (error instanceof BadRequest) return sendJson(response, error.status, { error: error.message });
      if (error instanceof AskError) {
        const reply: DashboardErrorReply = { error: error.message, code: error.code };
        return sendJson(response, 400, reply);
      }
      if (ProviderError.isInstance(error)) return sendJson(response, 502, { error: askFailed(error) });
      throw error;
    }
    response.writeHead(200, {
      ...SECURITY_HEADERS,
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      'X-Accel-Buffering': 'no',
    });
    request.socket.setNoDelay(true);
    const write = <N extends keyof DashboardAskEvents>(name: N, data: DashboardAskEvents[N]) =>
      response.write(`event: ${name}\ndata: ${scrubber.scrub(JSON.stringify(data))}\n\n`);
    let target = { provider: '', model: '' };
    try {
      for (let result = first; !result.done; result = await events.next()) {
        const event = result.value;
        if (event.type === 'context') {
          target = event;
          write('context', {
            provider: event.provider,
            model: event.model,
            messages: event.messages,
            gaps: event.gaps,
            text: describeContext(event),
          });
        } else if (event.type === 'token') write('token', { text: event.text });
        else
          write('done', {
            ttftMs: event.ttftMs,
            totalMs: event.totalMs,
            inputTokens: event.usage.inputTokens,
            outputTokens: event.usage.outputTokens,
            costUsd: event.costUsd,
            finishReason: event.finishReason,
            text: describeDone(event, target),
          });
      }
    } catch (error) {
      if (controller.signal.aborted) return;
      if (ProviderError.isInstance(error)) write('error', { error: askFailed(error) });
      else {
        logger.warn({ err: error }, 'dashboard: ask failed');
        write('error', { error: 'the question could not be asked: see the dashboard log' });
      }
    } finally {
      response.end();
    }
  }

  const server = createServer((request, response) => {
    const access = checkAccess(
      {
        method: request.method ?? 'GET',
        url: request.url ?? '/',
        headers: {
          host: request.headers.host,
          cookie: request.headers.cookie,
          authorization: request.headers.authorization,
          origin: request.headers.origin,
          'sec-fetch-site': header(request, 'sec-fetch-site'),
          [CHANGE_HEADER]: header(request, CHANGE_HEADER),
        },
      },
      token,
    );
    if (access.kind === 'deny') {
      send(response, access.status, `${access.status}: ${access.message}\n`, TEXT, {
        ...(access.status === 401 ? { 'WWW-Authenticate': 'Bearer realm="turbostream dashboard"' } : {}),
      });
      return;
    }
    if (access.kind === 'login') {
      send(response, 303, '', TEXT, { Location: access.location, 'Set-Cookie': access.cookie });
      return;
    }
    const url = new URL(request.url ?? '/', 'http://dashboard.invalid');
    route(request, response, url).catch((error: unknown) => {
      logger.warn({ err: error, path: url.pathname }, 'dashboard: request failed');
      if (!response.headersSent) send(response, 500, 'the dashboard could not read Redis; see its log\n', TEXT);
      else response.end();
    });
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const shownHost = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${shownHost}:${port}/`,
    port,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

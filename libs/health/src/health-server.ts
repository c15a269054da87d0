import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from '@turbostream/logging';
import { evaluateReadiness, type ReadinessCheck, type ReadinessReport } from './readiness.js';

/** What `GET /metrics` serves (a `TurboMetrics` of `@turbostream/metrics`; the health server depends on no metrics library). */
export interface MetricsSource {
  readonly contentType: string;
  text(): Promise<string>;
}

export interface HealthServerOptions {
  /** TCP port to listen on; 0 lets the system pick one (read it from `port` after `start()`). */
  port: number;
  /** @defaultValue '127.0.0.1' */
  host?: string;
  logger: Logger;
  /**
   * Readiness checks besides the built-in `started` and `draining`, by name
   * (e.g. `redis`: the connection answers PING). More can be added with `addCheck()`.
   * @defaultValue none
   */
  checks?: Readonly<Record<string, ReadinessCheck>>;
  /**
   * How long each readiness check may take before it counts as failed.
   * @defaultValue 1000
   */
  checkTimeoutMs?: number;
  /** Served on `GET /metrics` (Prometheus text format). @defaultValue none: /metrics is 404 */
  metrics?: MetricsSource;
}

const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' };

/**
 * Serves `GET /healthz` (liveness: the process and its event loop answer,
 * always 200 while it runs, draining included) and `GET /readyz` (readiness:
 * 200 once `setStarted()` was called, every check passes and `setDraining()`
 * was not; otherwise 503 with a body naming the failing checks), and
 * `GET /metrics` when given a metrics source (200 in every state: a draining
 * process is worth watching too).
 */
export class HealthServer {
  readonly #options: HealthServerOptions;
  readonly #logger: Logger;
  readonly #server: Server;
  readonly #checks = new Map<string, ReadinessCheck>();
  #started = false;
  #draining = false;
  #lastStatus: ReadinessReport['status'] | undefined;
  #starting: Promise<void> | undefined;
  #closing: Promise<void> | undefined;

  constructor(options: HealthServerOptions) {
    this.#options = options;
    this.#logger = options.logger;
    this.#checks.set('started', () => {
      if (!this.#started) throw new Error('still starting');
    });
    this.#checks.set('draining', () => {
      if (this.#draining) throw new Error('shutting down: no new work taken');
    });
    for (const [name, check] of Object.entries(options.checks ?? {})) this.addCheck(name, check);
    this.#server = createServer((request, response) => {
      this.#handle(request, response).catch((err: unknown) => {
        this.#logger.error({ err }, 'health request failed');
        if (!response.headersSent) this.#send(response, 500, { status: 'error' });
        else response.destroy();
      });
    });
    this.#server.keepAliveTimeout = 2_000;
  }

  /** The port listened on (the chosen one when `port` was 0); `undefined` before `start()`. */
  get port(): number | undefined {
    const address = this.#server.address();
    return address && typeof address === 'object' ? address.port : undefined;
  }

  /** Adds (or replaces) a named readiness check. */
  addCheck(name: string, check: ReadinessCheck): void {
    if (name === 'started' || name === 'draining') throw new Error(`readiness check name ${name} is built in`);
    this.#checks.set(name, check);
  }

  /** The service has started: readiness now depends on the checks. */
  setStarted(): void {
    this.#started = true;
  }

  /** The service is shutting down: `/readyz` answers 503 from now on; `/healthz` still 200. */
  setDraining(): void {
    if (this.#draining) return;
    this.#draining = true;
    this.#logger.info('draining: readiness now fails');
  }

  /** Listens; rejects when the port cannot be bound. Idempotent. */
  start(): Promise<void> {
    if (this.#closing) return Promise.reject(new Error('health server is closed'));
    this.#starting ??= new Promise<void>((resolve, reject) => {
      const host = this.#options.host ?? '127.0.0.1';
      const onError = (error: Error) => reject(error);
      this.#server.once('error', onError);
      this.#server.listen(this.#options.port, host, () => {
        this.#server.off('error', onError);
        this.#server.on('error', (err) => this.#logger.error({ err }, 'health server error'));
        const endpoints = `/healthz, /readyz${this.#options.metrics ? ' and /metrics' : ''}`;
        this.#logger.info({ host, port: this.port }, `health endpoints ${endpoints} listening`);
        resolve();
      });
    });
    return this.#starting;
  }

  /** Stops listening and drops open connections. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= new Promise<void>((resolve) => {
      if (!this.#server.listening) {
        resolve();
        return;
      }
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
    return this.#closing;
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = new URL(request.url ?? '/', 'http://health.local').pathname;
    const metrics = this.#options.metrics;
    if (path !== '/healthz' && path !== '/readyz' && (path !== '/metrics' || !metrics)) {
      const endpoints = ['/healthz', '/readyz', ...(metrics ? ['/metrics'] : [])];
      this.#send(response, 404, { status: 'not found', endpoints });
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.setHeader('allow', 'GET, HEAD');
      this.#send(response, 405, { status: 'method not allowed' });
      return;
    }
    if (path === '/healthz') {
      this.#send(response, 200, { status: 'ok' });
      return;
    }
    if (path === '/metrics' && metrics) {
      const text = await metrics.text();
      response.writeHead(200, {
        'content-type': metrics.contentType,
        'cache-control': 'no-store',
        'content-length': Buffer.byteLength(text),
      });
      response.end(request.method === 'HEAD' ? undefined : text);
      return;
    }
    const report = await evaluateReadiness(this.#checks, this.#options.checkTimeoutMs ?? 1_000);
    this.#noteTransition(report);
    this.#send(response, report.status === 'ready' ? 200 : 503, report);
  }

  #noteTransition(report: ReadinessReport): void {
    if (report.status === this.#lastStatus) return;
    this.#lastStatus = report.status;
    if (report.status === 'ready') {
      this.#logger.info('ready');
      return;
    }
    // Starting and draining are expected; anything else (Redis not answering) deserves attention.
    const expected = report.failing.every((name) => name === 'started' || name === 'draining');
    this.#logger[expected ? 'info' : 'warn']({ failing: report.failing, checks: report.checks }, 'not ready');
  }

  #send(response: ServerResponse, status: number, body: unknown): void {
    const text = `${JSON.stringify(body)}\n`;
    response.writeHead(status, { ...JSON_HEADERS, 'content-length': Buffer.byteLength(text) });
    response.end(response.req.method === 'HEAD' ? undefined : text);
  }
}

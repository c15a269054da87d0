import type { CorpusFeed } from '../corpus.js';
import { feedSeed, seededRandom } from '../random.js';
import { CORPUS_START, FeedBuilder, round } from './feed-builder.js';

const NAME = 'service-logs';
const COUNT = 400;
const SERVICES = ['checkout', 'payments', 'catalog', 'auth', 'search'] as const;
type Service = (typeof SERVICES)[number];
/** Typical latency_ms of each service. */
const BASE_LATENCY: Record<Service, number> = { checkout: 45, payments: 60, catalog: 20, auth: 15, search: 30 };
const ROUTES: Record<Service, string[]> = {
  checkout: ['/api/cart', '/api/checkout'],
  payments: ['/api/payments', '/api/refunds'],
  catalog: ['/api/items', '/api/categories'],
  auth: ['/api/login', '/api/token'],
  search: ['/api/search', '/api/suggest'],
};
const INFO_MESSAGES = ['request completed', 'cache miss', 'upstream call', 'db query'];
/** Lone errors, part of the normal noise (the instructions say so): not an incident. */
const LONE_ERRORS = new Set([41, 238, 377]);
/** Nine payments errors among messages 121–133 (window 3). */
const BURST = new Set([121, 122, 124, 125, 127, 128, 129, 131, 133]);
/** search's latency rises from ~30 to ~400 ms over messages 161–300 (windows 4–6); every third line is search. */
const CREEP_FROM = 161;
const CREEP_TO = 300;
/** One critical line (window 7). */
const CRITICAL = 347;

export const SERVICE_LOGS_INSTRUCTIONS =
  'JSON logs of five services (checkout, payments, catalog, auth, search), about five lines a second. ' +
  'A lone error now and then, and warnings for rate limits or slow requests, are normal. ' +
  'Alert on: a burst of errors (several within seconds; warning or worse); ' +
  'a service whose latency_ms keeps rising over many lines (latency creep, warning); ' +
  'any line at level critical or fatal (critical).';

/** Structured service logs with an error burst, a latency creep and one critical line among noise. */
export function serviceLogsFeed(seed: number): CorpusFeed {
  const random = seededRandom(feedSeed(seed, NAME));
  const feed = new FeedBuilder(NAME);
  const hosts = Object.fromEntries(
    SERVICES.map((service) => [service, [random.hex(4), random.hex(4), random.hex(4)]]),
  ) as Record<Service, string[]>;
  let at = CORPUS_START;

  for (let n = 1; n <= COUNT; n += 1) {
    const step = random.int(120, 280);
    const roll = random.next();
    const drawn = random.pick(SERVICES);
    const noise = random.gaussian();
    const host = random.pick([0, 1, 2]);
    const method = random.pick(['GET', 'GET', 'POST']);
    const routeRoll = random.next();
    const resource = random.int(1, 9_000);
    const traceId = random.hex(16);
    const user = 10_000 + random.int(0, 89_999);
    const lag = random.int(0, 4);
    if (n > 1) at += step;

    const creeping = n >= CREEP_FROM && n <= CREEP_TO;
    let service: Service = drawn;
    if (creeping) service = n % 3 === 0 ? 'search' : drawn === 'search' ? 'catalog' : drawn;
    if (BURST.has(n)) service = 'payments';
    if (n === CRITICAL) service = 'auth';

    let latency = BASE_LATENCY[service] * Math.exp(noise * 0.3);
    let incident: string | undefined;
    if (creeping && service === 'search') {
      const progress = (n - CREEP_FROM) / (CREEP_TO - CREEP_FROM);
      latency = BASE_LATENCY.search * (1 + 12 * progress ** 1.5) * Math.exp(noise * 0.08);
      incident = 'service-logs-latency-creep';
    }

    let level = roll < 0.06 ? 'warn' : 'info';
    let status = level === 'warn' ? 429 : 200;
    let msg = level === 'warn' ? 'rate limited by upstream' : (INFO_MESSAGES[Math.floor(roll * 4)] as string);
    let error: { type: string; message: string } | undefined;
    if (LONE_ERRORS.has(n)) {
      level = 'error';
      status = 500;
      msg = 'request failed';
      error = {
        type: 'UpstreamTimeout',
        message: `no answer from ${service === 'auth' ? 'search' : 'auth'} in 2000 ms`,
      };
    }
    if (BURST.has(n)) {
      level = 'error';
      status = 503;
      latency = 2_000 + Math.abs(noise) * 15;
      msg = 'request failed';
      error = { type: 'DbTimeout', message: 'payments-db:5432 did not answer in 2000 ms' };
      incident = 'service-logs-error-burst';
    }
    if (n === CRITICAL) {
      level = 'critical';
      status = 500;
      msg = 'token signing key unavailable: every login fails';
      error = { type: 'KeyStoreUnavailable', message: 'vault: permission denied reading transit/keys/jwt-signing' };
      incident = 'service-logs-critical-line';
    }
    if (level === 'info' && latency > 250) {
      level = 'warn';
      msg = 'slow request';
    }

    const routes = ROUTES[service];
    const log: Record<string, unknown> = {
      ts: new Date(at - lag).toISOString(),
      level,
      service,
      msg,
      http: { method, path: `${routes[Math.floor(routeRoll * routes.length)]}/${resource}`, status },
      latency_ms: round(latency, 1),
      trace_id: traceId,
      user_id: `u_${user}`,
      host: `${service}-${hosts[service][host]}`,
    };
    if (error) log.error = error;
    feed.add(at, log, incident);
  }

  return feed.build(
    {
      description: 'JSON service logs of five services: an error burst, a latency creep, one critical line.',
      format: 'json',
      instructions: SERVICE_LOGS_INSTRUCTIONS,
      window: { maxMessages: 50, maxBytes: 262_144, maxSeconds: 60 },
    },
    [
      {
        id: 'service-logs-error-burst',
        kind: 'error-burst',
        description: 'Nine payments requests fail on a database timeout within 13 lines (messages 121–133).',
        minSeverity: 'warning',
      },
      {
        id: 'service-logs-latency-creep',
        kind: 'latency-creep',
        description:
          `search's latency_ms rises steadily from about 30 to about 400 over messages ${CREEP_FROM}–${CREEP_TO} ` +
          '(every third line; the later ones logged as slow requests), across three windows of 50.',
        minSeverity: 'warning',
      },
      {
        id: 'service-logs-critical-line',
        kind: 'critical-line',
        description: `One line at level critical: auth cannot sign tokens, every login fails (message ${CRITICAL}).`,
        minSeverity: 'critical',
      },
    ],
  );
}

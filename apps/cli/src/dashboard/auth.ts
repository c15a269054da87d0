/**
 * Who may use the dashboard. On a loopback address with no token, anyone on this machine may read it (as they may read
 * Redis), and only requests naming a loopback host are served (a web page elsewhere cannot rebind a name of its own to
 * 127.0.0.1 and read it). On any other address the dashboard refuses to start without `DASHBOARD_TOKEN`; with a token,
 * every request needs it, wherever it listens: a cookie set by opening the dashboard once with `?token=…`, or an
 * `Authorization: Bearer …` header. Changes (switching a stream's targets, asking a stream: POST) always need the
 * token, and come from the dashboard's own page only: no `Origin` or `Sec-Fetch-Site` of another site, and, when the
 * cookie is the proof, the header {@link CHANGE_HEADER} (which a page of another site cannot send without a CORS
 * preflight, which the dashboard never answers). The cookie is `SameSite=Strict` besides.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';

/** The header the dashboard's page sends with every change (any value); api.ts' CHANGE_HEADER. */
export const CHANGE_HEADER = 'x-turbostream-request';

/** The cookie that carries the proof of the token (never the token itself). */
export const SESSION_COOKIE = 'turbostream_dashboard';

/** True for an address only this machine reaches: 127.0.0.0/8, ::1 (also as ::ffff:127.x) and `localhost`. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (bare === 'localhost' || bare.endsWith('.localhost')) return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  if (isIP(bare) === 6) return bare === '::1' || /^::ffff:127\./.test(bare) || /^0*:(0*:){6}0*1$/.test(bare);
  return false;
}

/** Why the dashboard must not start on `host` with `token`, or undefined when it may. */
export function startRefusal(host: string, token: string | undefined): string | undefined {
  if (token !== undefined || isLoopbackHost(host)) return undefined;
  return (
    `the dashboard would listen on ${host}, which other machines may reach, without a token: set DASHBOARD_TOKEN ` +
    '(at least 16 characters, e.g. `openssl rand -hex 24`) in env.local or the environment, or listen on ' +
    '127.0.0.1 (the default)'
  );
}

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

/** True when `given` is `expected`, in time that does not depend on where they differ (SHA-256 digests compared). */
export function sameSecret(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

/** The cookie's value for `token`: an HMAC of it, so the cookie jar never holds the token itself. */
export function sessionValue(token: string): string {
  return createHmac('sha256', token).update('turbostream dashboard session v1').digest('base64url');
}

/** The value of cookie `name` in a `Cookie` header. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const equals = part.indexOf('=');
    if (equals !== -1 && part.slice(0, equals).trim() === name) return part.slice(equals + 1).trim();
  }
  return undefined;
}

/** The parts of a request the access rules read. */
export interface AccessRequest {
  method: string;
  /** The path and query, as received. */
  url: string;
  headers: {
    host?: string | undefined;
    cookie?: string | undefined;
    authorization?: string | undefined;
    origin?: string | undefined;
    'sec-fetch-site'?: string | undefined;
    'x-turbostream-request'?: string | undefined;
  };
}

export type Access =
  /** Serve it. */
  | { kind: 'allow' }
  /** `?token=` was right: set the cookie and send the browser to `location` (the URL without the token). */
  | { kind: 'login'; location: string; cookie: string }
  | { kind: 'deny'; status: 401 | 403 | 421; message: string };

/** Why a change (POST) does not come from the dashboard's own page, or undefined when it does (or says nothing). */
export function crossOrigin(request: AccessRequest): string | undefined {
  const { origin, host } = request.headers;
  const site = request.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none')
    return `changes come from the dashboard's own page only (Sec-Fetch-Site: ${site.slice(0, 40)})`;
  if (origin === undefined) return undefined;
  let originHost: string;
  try {
    const url = new URL(origin);
    originHost = url.protocol === 'http:' || url.protocol === 'https:' ? url.host : '';
  } catch {
    originHost = '';
  }
  if (originHost === '' || originHost.toLowerCase() !== (host ?? '').toLowerCase())
    return `changes come from the dashboard's own page only (not from ${JSON.stringify(origin.slice(0, 100))})`;
  return undefined;
}

/** The `Set-Cookie` header that keeps a session of `token`: not readable by scripts, never sent by other sites. */
export function sessionCookie(token: string): string {
  return `${SESSION_COOKIE}=${sessionValue(token)}; Path=/; HttpOnly; SameSite=Strict`;
}

const UNAUTHORIZED =
  'this dashboard needs its token (DASHBOARD_TOKEN): open it once as /?token=<the token> (a cookie keeps it), or ' +
  'send Authorization: Bearer <the token>';

/** Decides what to do with a request, by the rules above. `token`: DASHBOARD_TOKEN, when set. */
export function checkAccess(request: AccessRequest, token: string | undefined): Access {
  const changes = request.method !== 'GET' && request.method !== 'HEAD';
  if (token === undefined) {
    const host = request.headers.host ?? '';
    const name = host.replace(/:\d+$/, '');
    if (!isLoopbackHost(name))
      return {
        kind: 'deny',
        status: 421,
        message: `this dashboard answers to 127.0.0.1 and localhost only (not ${JSON.stringify(host.slice(0, 100))})`,
      };
    if (changes)
      return { kind: 'deny', status: 403, message: 'changes need DASHBOARD_TOKEN: set it and restart the dashboard' };
    return { kind: 'allow' };
  }
  const authorization = request.headers.authorization ?? '';
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(authorization)?.[1];
  const foreign = changes ? crossOrigin(request) : undefined;
  if (bearer !== undefined) {
    if (!sameSecret(bearer, token)) return { kind: 'deny', status: 401, message: UNAUTHORIZED };
    return foreign ? { kind: 'deny', status: 403, message: foreign } : { kind: 'allow' };
  }
  const cookie = cookieValue(request.headers.cookie, SESSION_COOKIE);
  if (cookie !== undefined && sameSecret(cookie, sessionValue(token))) {
    if (foreign) return { kind: 'deny', status: 403, message: foreign };
    if (changes && request.headers[CHANGE_HEADER] === undefined)
      return {
        kind: 'deny',
        status: 403,
        message: `a change needs the header ${CHANGE_HEADER} (the dashboard's page sends it) or Authorization: Bearer`,
      };
    return { kind: 'allow' };
  }
  const url = new URL(request.url, 'http://dashboard.invalid');
  const given = url.searchParams.get('token');
  if (given !== null && !changes && sameSecret(given, token)) {
    url.searchParams.delete('token');
    return { kind: 'login', location: `${url.pathname}${url.search}`, cookie: sessionCookie(token) };
  }
  return { kind: 'deny', status: 401, message: UNAUTHORIZED };
}

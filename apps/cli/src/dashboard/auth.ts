/**
 * Who may use the dashboard. On a loopback address with no token, anyone on this machine may read it (as they may read
 * Redis), and only requests naming a loopback host are served (a web page elsewhere cannot rebind a name of its own to
 * 127.0.0.1 and read it). On any other address the dashboard refuses to start without `DASHBOARD_TOKEN`; with a token,
 * every request needs it, wherever it listens: a cookie set by opening the dashboard once with `?token=…`, or an
 * `Authorization: Bearer …` header. Changes (none yet: model switching, ask) always need the token.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';

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
  headers: { host?: string | undefined; cookie?: string | undefined; authorization?: string | undefined };
}

export type Access =
  /** Serve it. */
  | { kind: 'allow' }
  /** `?token=` was right: set the cookie and send the browser to `location` (the URL without the token). */
  | { kind: 'login'; location: string; cookie: string }
  | { kind: 'deny'; status: 401 | 403 | 421; message: string };

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
  if (bearer !== undefined) {
    return sameSecret(bearer, token) ? { kind: 'allow' } : { kind: 'deny', status: 401, message: UNAUTHORIZED };
  }
  const cookie = cookieValue(request.headers.cookie, SESSION_COOKIE);
  if (cookie !== undefined && sameSecret(cookie, sessionValue(token))) return { kind: 'allow' };
  const url = new URL(request.url, 'http://dashboard.invalid');
  const given = url.searchParams.get('token');
  if (given !== null && !changes && sameSecret(given, token)) {
    url.searchParams.delete('token');
    return { kind: 'login', location: `${url.pathname}${url.search}`, cookie: sessionCookie(token) };
  }
  return { kind: 'deny', status: 401, message: UNAUTHORIZED };
}

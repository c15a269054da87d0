import { describe, expect, it } from 'vitest';
import {
  CHANGE_HEADER,
  checkAccess,
  cookieValue,
  isLoopbackHost,
  SESSION_COOKIE,
  sameSecret,
  sessionCookie,
  sessionValue,
  startRefusal,
} from './auth.js';

const TOKEN = 'a-dashboard-token-0123456789';
const get = (url: string, headers: Record<string, string> = {}) => ({
  method: 'GET',
  url,
  headers: { host: '127.0.0.1:7700', ...headers },
});

describe('the dashboard access rules', () => {
  it('knows loopback addresses: 127.0.0.0/8, ::1 and localhost, nothing else', () => {
    for (const host of [
      '127.0.0.1',
      '127.8.9.10',
      'localhost',
      'LOCALHOST',
      'app.localhost',
      '::1',
      '[::1]',
      '::ffff:127.0.0.1',
    ])
      expect(isLoopbackHost(host), host).toBe(true);
    for (const host of [
      '0.0.0.0',
      '::',
      '10.0.0.5',
      '192.168.1.2',
      'example.com',
      '128.0.0.1',
      'localhost.evil.com',
      '',
    ])
      expect(isLoopbackHost(host), host).toBe(false);
  });

  it('refuses to start off loopback without a token, saying how to set one', () => {
    expect(startRefusal('127.0.0.1', undefined)).toBeUndefined();
    expect(startRefusal('0.0.0.0', TOKEN)).toBeUndefined();
    expect(startRefusal('0.0.0.0', undefined)).toMatch(/without a token: set DASHBOARD_TOKEN/);
    expect(startRefusal('::', undefined)).toContain('127.0.0.1 (the default)');
  });

  it('compares secrets by their digests, whatever their lengths', () => {
    expect(sameSecret(TOKEN, TOKEN)).toBe(true);
    expect(sameSecret(`${TOKEN}x`, TOKEN)).toBe(false);
    expect(sameSecret('', TOKEN)).toBe(false);
  });

  it('without a token: serves reads to loopback host names only, and refuses changes', () => {
    expect(checkAccess(get('/'), undefined)).toEqual({ kind: 'allow' });
    expect(checkAccess(get('/', { host: 'localhost:7700' }), undefined)).toEqual({ kind: 'allow' });
    // A page elsewhere whose name was rebound to 127.0.0.1 sends its own name.
    expect(checkAccess(get('/', { host: 'evil.example:7700' }), undefined)).toMatchObject({
      kind: 'deny',
      status: 421,
    });
    expect(checkAccess({ ...get('/api/x'), method: 'POST' }, undefined)).toMatchObject({
      kind: 'deny',
      status: 403,
      message: expect.stringContaining('DASHBOARD_TOKEN'),
    });
  });

  it('with a token: every request needs it, by bearer header or the session cookie, whatever the host', () => {
    const elsewhere = { host: '203.0.113.7:7700' };
    expect(checkAccess(get('/', elsewhere), TOKEN)).toMatchObject({ kind: 'deny', status: 401 });
    expect(checkAccess(get('/api/events', { ...elsewhere, authorization: `Bearer ${TOKEN}` }), TOKEN)).toEqual({
      kind: 'allow',
    });
    expect(checkAccess(get('/', { authorization: 'Bearer wrong-token' }), TOKEN)).toMatchObject({ status: 401 });
    // A wrong bearer is not saved by a right cookie: the header is what the client chose to send.
    expect(
      checkAccess(
        get('/', { authorization: 'Bearer wrong', cookie: `${SESSION_COOKIE}=${sessionValue(TOKEN)}` }),
        TOKEN,
      ),
    ).toMatchObject({ status: 401 });
    expect(checkAccess(get('/', { cookie: `a=b; ${SESSION_COOKIE}=${sessionValue(TOKEN)}` }), TOKEN)).toEqual({
      kind: 'allow',
    });
    expect(checkAccess(get('/', { cookie: `${SESSION_COOKIE}=${TOKEN}` }), TOKEN)).toMatchObject({ status: 401 });
    expect(checkAccess(get('/', { host: 'localhost:7700' }), TOKEN)).toMatchObject({ status: 401 });
  });

  it('turns a right ?token= into a session cookie and the same address without the token', () => {
    expect(checkAccess(get(`/?token=${TOKEN}#x`), TOKEN)).toEqual({
      kind: 'login',
      location: '/',
      cookie: sessionCookie(TOKEN),
    });
    expect(checkAccess(get(`/?a=1&token=${encodeURIComponent(TOKEN)}&b=2`), TOKEN)).toMatchObject({
      kind: 'login',
      location: '/?a=1&b=2',
    });
    expect(checkAccess(get('/?token=nope'), TOKEN)).toMatchObject({ kind: 'deny', status: 401 });
    expect(sessionCookie(TOKEN)).toMatch(/^turbostream_dashboard=[\w-]+; Path=\/; HttpOnly; SameSite=Strict$/);
    expect(sessionCookie(TOKEN)).not.toContain(TOKEN);
  });

  it('takes a change with the token from the own page only: same origin, and the header with the cookie', () => {
    const session = `${SESSION_COOKIE}=${sessionValue(TOKEN)}`;
    const post = (headers: Record<string, string>) => ({ ...get('/api/streams/targets', headers), method: 'POST' });
    const page = { cookie: session, origin: 'http://127.0.0.1:7700', 'sec-fetch-site': 'same-origin' };
    expect(checkAccess(post({ ...page, [CHANGE_HEADER]: '1' }), TOKEN)).toEqual({ kind: 'allow' });
    // The cookie alone (a form of another site, were SameSite not there) is not enough.
    expect(checkAccess(post(page), TOKEN)).toMatchObject({
      status: 403,
      message: expect.stringContaining(CHANGE_HEADER),
    });
    const foreigns: Record<string, string>[] = [
      { origin: 'http://evil.example' },
      { origin: 'http://127.0.0.1:7701' },
      { origin: 'null' },
      { 'sec-fetch-site': 'cross-site' },
      { 'sec-fetch-site': 'same-site' },
    ];
    for (const foreign of foreigns) {
      expect(
        checkAccess(post({ ...page, ...foreign, [CHANGE_HEADER]: '1' }), TOKEN),
        JSON.stringify(foreign),
      ).toMatchObject({ status: 403, message: expect.stringContaining("the dashboard's own page only") });
      expect(checkAccess(post({ ...foreign, authorization: `Bearer ${TOKEN}` }), TOKEN)).toMatchObject({ status: 403 });
    }
    // A client that is no browser: the bearer, no origin.
    expect(checkAccess(post({ authorization: `Bearer ${TOKEN}` }), TOKEN)).toEqual({ kind: 'allow' });
    expect(checkAccess(post({ [CHANGE_HEADER]: '1' }), TOKEN)).toMatchObject({ status: 401 });
    expect(checkAccess(post({ [CHANGE_HEADER]: '1', authorization: 'Bearer wrong' }), TOKEN)).toMatchObject({
      status: 401,
    });
    // ?token= logs a page in; it never makes a change.
    expect(checkAccess({ ...get(`/api/streams/targets?token=${TOKEN}`), method: 'POST' }, TOKEN)).toMatchObject({
      status: 401,
    });
  });

  it('reads a cookie among others', () => {
    expect(cookieValue('a=1; turbostream_dashboard=xyz; b=2', SESSION_COOKIE)).toBe('xyz');
    expect(cookieValue(undefined, SESSION_COOKIE)).toBeUndefined();
    expect(cookieValue('turbostream_dashboardx=1', SESSION_COOKIE)).toBeUndefined();
  });
});

/**
 * No secret in any output (issue 8): every command that talks to Redis, given
 * a wrong Redis password, reports the failure without the password; a
 * configuration problem echoing a URL shows `****` for its credentials.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RedisServer } from '@turbostream/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertCliBuilt, CLI, cliNodeFlags, ServiceProcess } from './support/service-process.js';

/** The server's password: nothing here uses it, every command gets a wrong one. */
const RIGHT_PASSWORD = 'right-password';
const WRONG_PASSWORD = 'wrong-S3cret-pw';
const USER_PASSWORD = 'userPw-S3cret-42';

/** Every spelling of a secret that would give it away: as is, URL-encoded, base64, hex and as a Buffer's JSON bytes. */
function spellingsOf(secret: string): string[] {
  const bytes = Buffer.from(secret);
  return [
    secret,
    encodeURIComponent(secret),
    bytes.toString('base64'),
    bytes.toString('base64url'),
    bytes.toString('hex'),
    bytes.toJSON().data.join(','),
  ];
}

/** Fails naming the spelling and the line it was found in. */
function expectNoSecret(output: string, secret: string, what: string): void {
  for (const spelling of spellingsOf(secret)) {
    const line = output.split('\n').find((candidate) => candidate.includes(spelling));
    expect(line, `${what}: the secret (as ${JSON.stringify(spelling)}) is in its output`).toBeUndefined();
  }
}

function workspace(files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'turbostream-secrets-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

/** Runs the built CLI to completion with a minimal environment. */
function turbostream(args: string[], cwd: string, env: Record<string, string>) {
  const result = spawnSync(process.execPath, [...cliNodeFlags(), CLI, ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    encoding: 'utf8',
    timeout: 20_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr, output: result.stdout + result.stderr };
}

/** A stream whose source refuses connections: ingest and the windower start, and keep trying Redis. */
const STREAMS =
  'streams:\n  - id: s1\n    source: { url: "ws://127.0.0.1:9/feed" }\n    analysis: { provider: heuristic }\n';

/** The commands that connect to Redis; the services run until stopped, the others end by themselves. */
const SERVICES = ['ingest', 'windower', 'analyzer'];
const COMMANDS = [['ingest'], ['windower'], ['analyzer'], ['up'], ['alerts'], ['streams'], ['providers']];

/** How many times the output reports the server's refusal. */
function refusals(output: string): number {
  return output.split('WRONGPASS').length - 1;
}

/**
 * Runs one command against the server until it ends, or (a service) until it
 * has reported the refused password a few times, then stops it the usual way
 * (SIGTERM), so that what it prints while shutting down is checked too.
 */
async function runUntilRefused(args: string[], env: Record<string, string>): Promise<ServiceProcess> {
  const command = new ServiceProcess(args.join(' '), args, { cwd: workspace({ 'streams.yaml': STREAMS }), env });
  const refused = new Promise<void>((resolve) => {
    const check = () => {
      if (refusals(command.output) >= 4) resolve();
    };
    command.child.stdout?.on('data', check);
    command.child.stderr?.on('data', check);
  });
  // Generous: on a busy machine the CLI alone can take seconds to start.
  const deadline = new Promise<void>((resolve) => setTimeout(resolve, 45_000).unref());
  await Promise.race([command.exited, refused, deadline]);
  await command.stop();
  return command;
}

describe('no secret in any output', () => {
  let server: RedisServer;

  beforeAll(async () => {
    assertCliBuilt();
    // Not the redisTest fixture: this server gets a password (requirepass).
    server = await RedisServer.start();
    // Set after start: RedisServer checks that the server answers without a password.
    const admin = server.client();
    await admin.config('SET', 'requirepass', RIGHT_PASSWORD);
    admin.disconnect();
  });

  afterAll(async () => {
    await server?.dispose();
  });

  describe.each([
    {
      form: 'a password',
      url: () => `redis://:${WRONG_PASSWORD}@127.0.0.1:${server.port}`,
      secret: WRONG_PASSWORD,
      logFormat: 'json',
    },
    {
      form: 'a user and a password',
      url: () => `redis://turbo-user:${USER_PASSWORD}@127.0.0.1:${server.port}`,
      secret: USER_PASSWORD,
      logFormat: 'pretty',
    },
  ])('a REDIS_URL with $form the server refuses', ({ url, secret, logFormat }) => {
    it('every command reports it, without the password', async () => {
      const env = {
        REDIS_URL: url(),
        LOG_LEVEL: 'debug',
        LOG_FORMAT: logFormat,
        TURBOSTREAM_NAMESPACE: 'secrets',
        SHUTDOWN_TIMEOUT_MS: '1000',
      };
      const commands = await Promise.all(COMMANDS.map((args) => runUntilRefused(args, env)));
      for (const command of commands) {
        expectNoSecret(command.output, secret, `turbostream ${command.name}`);
        if (SERVICES.includes(command.name))
          expect(refusals(command.output), `turbostream ${command.name} reports the refused password`).toBeGreaterThan(
            0,
          );
        else
          expect(command.output, `turbostream ${command.name} says which Redis does not answer`).toMatch(
            /redis:\/\/(turbo-user)?:\*\*\*\*@127\.0\.0\.1/,
          );
      }
    }, 120_000);
  });

  describe('configuration problems', () => {
    it('show **** for the password of a REDIS_URL of the wrong scheme, in config check and at every start', () => {
      const cwd = workspace({ 'streams.yaml': STREAMS });
      for (const args of [['config', 'check'], ['ingest'], ['windower'], ['analyzer'], ['up']]) {
        const result = turbostream(args, cwd, { REDIS_URL: 'https://:s3cretPW@127.0.0.1:6452' });
        expect(result.code, args.join(' ')).not.toBe(0);
        expect(result.stderr, args.join(' ')).toContain(
          'REDIS_URL: expected a redis:// or rediss:// URL, or a comma-separated list of them (Redis Cluster ' +
            'nodes) (got "https://:****@127.0.0.1:6452")',
        );
        expectNoSecret(result.output, 's3cretPW', args.join(' '));
      }
    }, 120_000);

    it('mask the credentials of any URL they echo: a user and a password, a token, a list of seed nodes, a ' +
      'streams.yaml source', () => {
      const cwd = workspace({
        'streams.yaml':
          'streams:\n  - id: s1\n    source: { url: "https://feed-user:yamlPw-S3cret@example.com/feed" }\n' +
          '    analysis: { provider: heuristic }\n',
        'env.local': 'OPENAI_BASE_URL=ftp://gateway:basePw-S3cret@gateway.example.com/v1\n',
      });
      const result = turbostream(['config', 'check'], cwd, {
        REDIS_URL: 'redis://:nodePw-S3cret@10.0.0.1:6379,https://token-S3cret@10.0.0.2:6379',
      });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('(got "redis://:****@10.0.0.1:6379,https://****@10.0.0.2:6379")');
      expect(result.stderr).toContain(
        'env.local: OPENAI_BASE_URL: expected an http:// or https:// URL (got ' +
          '"ftp://gateway:****@gateway.example.com/v1")',
      );
      expect(result.stderr).toContain(
        'streams.yaml: streams[0].source.url: expected a ws:// or wss:// URL (got ' +
          '"https://feed-user:****@example.com/feed")',
      );
      for (const secret of ['nodePw-S3cret', 'token-S3cret', 'basePw-S3cret', 'yamlPw-S3cret'])
        expectNoSecret(result.output, secret, 'config check');
    }, 60_000);
  });
});

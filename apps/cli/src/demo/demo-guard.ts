import type { Logger } from '@turbostream/logging';
import { closeRedis, connectRedis, type KeyLayout } from '@turbostream/redis';
import { UsageError } from '../runtime/load.js';
import { claimDemo, demoAlreadyRunning, demoNamespace, NamespaceExpiry, thisProcess } from './demo-tenancy.js';

/** Exit code when a demo already runs on the Redis (EX_TEMPFAIL). */
const DEMO_RUNNING = 75;

/**
 * The namespace a run uses: its own, unless it runs the built-in demo on a
 * Redis it did not start (`shared`), where the demo keeps to `<namespace>-demo`
 * so that it never touches a deployment's keys.
 */
export function runNamespace(namespace: string, { demo, shared }: { demo: boolean; shared: boolean }): string {
  return demo && shared ? demoNamespace(namespace) : namespace;
}

/** What {@link guardDemo} holds while the demo runs. */
export interface DemoGuard {
  /**
   * After the services have stopped: a last expiry pass (shared Redis), then the claim is released and the connection
   * closed.
   */
  close(): Promise<void>;
}

/**
 * Before the demo's services start (`turbostream up` and `stack`): claims the
 * namespace's demo lease — or stops with the plain sentence that a demo already
 * runs there, exit 75 — and, on a Redis it did not start (`shared`), keeps every
 * key of the namespace expiring a day after the demo stops.
 */
export async function guardDemo({
  redis,
  keys,
  shared,
  logger,
}: {
  redis: { url: string; nodes: string[]; cluster: boolean };
  keys: KeyLayout;
  shared: boolean;
  logger: Logger;
}): Promise<DemoGuard> {
  const connection = connectRedis({ ...redis, name: 'turbostream:demo-guard' });
  connection.on('error', (err) => logger.warn({ err }, 'redis connection error'));
  const claimed = await claimDemo(connection, keys, thisProcess(), {
    onEvent: (event) => {
      if (event.type === 'restored') logger.info('the demo claim on this Redis is renewed again');
      else if (event.type === 'unconfirmed')
        logger.warn(
          'the demo claim on this Redis cannot be renewed (Redis does not answer); a second demo could start meanwhile',
        );
      else
        logger.warn(
          { holder: event.holder },
          'another demo took this Redis while it did not answer; this one goes on, but their alerts mix',
        );
    },
  }).catch(async (error: unknown) => {
    await closeRedis(connection);
    throw error;
  });
  if (!claimed.claimed) {
    await closeRedis(connection);
    throw new UsageError(
      `${demoAlreadyRunning(claimed.holder, keys)}.\nWatch it with \`npx turbostream alerts\` where it runs, or ` +
        `stop it first; TURBOSTREAM_NAMESPACE=<another> runs a second demo apart.`,
      DEMO_RUNNING,
    );
  }
  const { claim } = claimed;
  const expiry = shared
    ? new NamespaceExpiry({
        redis: connection,
        keys,
        onError: (err) => logger.warn({ err }, 'demo keys: an expiry pass failed; the next one tries again'),
      })
    : undefined;
  try {
    await expiry?.start();
  } catch (error) {
    await claim.release().catch(() => {});
    await closeRedis(connection);
    throw error;
  }
  return {
    close: async () => {
      try {
        await expiry?.stop();
      } finally {
        await claim
          .release()
          .catch((err: unknown) => logger.warn({ err }, 'cannot release the demo claim; it expires by itself'));
        await closeRedis(connection);
      }
    },
  };
}

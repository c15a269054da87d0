// testcontainers is loaded only when a container is needed: most machines run redis-server.
import type { StartedTestContainer } from 'testcontainers';

/**
 * A Redis container on a fixed host port, for machines with a Docker engine
 * and no `redis-server` on PATH. Like the process, it can be ended and
 * started again on the same port (its data lives in the container).
 */
export class RedisContainer {
  readonly #container: StartedTestContainer;
  #running = true;

  private constructor(container: StartedTestContainer) {
    this.#container = container;
  }

  static async start(port: number, args: string[]): Promise<RedisContainer> {
    const { GenericContainer, Wait } = await import('testcontainers');
    const container = await new GenericContainer('redis:7.0')
      .withExposedPorts({ container: 6379, host: port })
      .withCommand(['redis-server', ...args])
      .withWaitStrategy(Wait.forLogMessage('Ready to accept connections'))
      .start();
    return new RedisContainer(container);
  }

  get running(): boolean {
    return this.#running;
  }

  /**
   * Ends redis-server without saving a snapshot. A SIGKILL sent from inside
   * the container to its PID 1 would be ignored by the kernel, so this is
   * `SHUTDOWN NOSAVE`: as abrupt for the clients, and what was appended to
   * the AOF (fsync always) survives as it would a SIGKILL.
   */
  async end(): Promise<void> {
    if (!this.#running) return;
    await this.#container.exec(['redis-cli', 'shutdown', 'nosave']).catch(() => undefined);
    this.#running = false;
  }

  /** Starts the stopped container again; Docker keeps the fixed host port binding. */
  async restart(): Promise<void> {
    await this.#container.restart();
    this.#running = true;
  }

  async remove(): Promise<void> {
    await this.#container.stop({ remove: true, removeVolumes: true }).catch(() => undefined);
    this.#running = false;
  }
}

/**
 * True when a container runtime answers (testcontainers finds it the way it always does: DOCKER_HOST, the socket, …).
 */
export async function containerRuntimeAvailable(): Promise<boolean> {
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    await getContainerRuntimeClient();
    return true;
  } catch {
    return false;
  }
}

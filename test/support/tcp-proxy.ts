import { createServer, type Server, type Socket, connect } from 'node:net';

/** A command as the client sent it: its arguments, the name first (as sent, not upper-cased). */
export type RespCommand = readonly string[];

/** Which replies to lose: the reply to every `every`-th command that `matches`, `count` times in all. */
export interface DropRule {
  matches: (command: RespCommand) => boolean;
  count: number;
  /** @defaultValue 1 (every matching command) */
  every?: number;
}

const CRLF = 0x0d;

/** Index of the `\r\n` at or after `offset`, or -1 when it has not arrived yet. */
function lineEnd(buffer: Buffer, offset: number): number {
  const index = buffer.indexOf(CRLF, offset);
  return index === -1 || index + 1 >= buffer.length ? -1 : index;
}

/**
 * Where the RESP2 value that starts at `offset` ends, or -1 when it is not
 * complete yet. Collects the bulk strings of a top-level array into `parts`
 * when given (a command).
 */
function skipValue(buffer: Buffer, offset: number, parts?: string[]): number {
  if (offset >= buffer.length) return -1;
  const end = lineEnd(buffer, offset);
  if (end === -1) return -1;
  const type = String.fromCharCode(buffer[offset] ?? 0);
  const header = buffer.toString('latin1', offset + 1, end);
  const next = end + 2;
  switch (type) {
    case '+':
    case '-':
    case ':':
      return next;
    case '$': {
      const length = Number(header);
      if (length < 0) return next;
      if (next + length + 2 > buffer.length) return -1;
      parts?.push(buffer.toString('utf8', next, next + length));
      return next + length + 2;
    }
    case '*': {
      const count = Number(header);
      let position = next;
      for (let index = 0; index < count; index += 1) {
        position = skipValue(buffer, position, parts);
        if (position === -1) return -1;
      }
      return position;
    }
    default:
      throw new Error(`unexpected RESP type ${JSON.stringify(type)} at ${offset}`);
  }
}

/** One client connection through the proxy: both directions parsed, so that each reply is matched with its command. */
class ProxiedConnection {
  readonly #client: Socket;
  readonly #server: Socket;
  readonly #proxy: TcpProxy;
  /** For each command sent to Redis and not answered yet: whether its reply is to be lost. */
  readonly #awaiting: boolean[] = [];
  #fromClient = Buffer.alloc(0);
  #fromServer = Buffer.alloc(0);

  constructor(client: Socket, server: Socket, proxy: TcpProxy) {
    this.#client = client;
    this.#server = server;
    this.#proxy = proxy;
    client.on('data', (chunk: Buffer) => this.#onClientData(chunk));
    server.on('data', (chunk: Buffer) => this.#onServerData(chunk));
    const close = () => this.destroy();
    for (const socket of [client, server]) {
      socket.on('error', close);
      socket.on('close', close);
    }
  }

  destroy(): void {
    this.#client.destroy();
    this.#server.destroy();
  }

  #onClientData(chunk: Buffer): void {
    this.#fromClient = Buffer.concat([this.#fromClient, chunk]);
    let offset = 0;
    for (;;) {
      const parts: string[] = [];
      const end = skipValue(this.#fromClient, offset, parts);
      if (end === -1) break;
      this.#awaiting.push(this.#proxy.shouldDrop(parts));
      offset = end;
    }
    this.#fromClient = this.#fromClient.subarray(offset);
    this.#server.write(chunk);
  }

  /**
   * Forwards whole replies until the one that is to be lost: then the client connection goes, with the reply unsent.
   */
  #onServerData(chunk: Buffer): void {
    this.#fromServer = Buffer.concat([this.#fromServer, chunk]);
    let offset = 0;
    for (;;) {
      const end = skipValue(this.#fromServer, offset);
      if (end === -1) break;
      if (this.#awaiting.shift() === true) {
        if (offset === 0) this.destroy();
        else this.#client.write(this.#fromServer.subarray(0, offset), () => this.destroy());
        this.#proxy.onDropped();
        this.#fromServer = Buffer.alloc(0);
        return;
      }
      offset = end;
    }
    this.#client.write(this.#fromServer.subarray(0, offset));
    this.#fromServer = this.#fromServer.subarray(offset);
  }
}

/**
 * A loopback TCP proxy in front of a Redis server that can lose replies: told
 * to, it lets a command through to Redis, waits for Redis's reply, and then
 * closes the client's connection instead of forwarding that reply, so that
 * the client cannot know whether its command ran (it did). Replies to the
 * commands sent before it are forwarded first.
 */
export class TcpProxy {
  readonly #server: Server;
  readonly #target: { host: string; port: number };
  readonly #connections = new Set<ProxiedConnection>();
  #rule: DropRule | undefined;
  #matched = 0;
  #marked = 0;
  #dropped = 0;
  #accepted = 0;

  private constructor(server: Server, target: { host: string; port: number }) {
    this.#server = server;
    this.#target = target;
  }

  /** Listens on a free loopback port, forwarding to `target`. */
  static async start(target: { host?: string; port: number }): Promise<TcpProxy> {
    let proxy: TcpProxy | undefined;
    const server = createServer((client) => proxy?.accept(client));
    proxy = new TcpProxy(server, { host: target.host ?? '127.0.0.1', port: target.port });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    return proxy;
  }

  get port(): number {
    const address = this.#server.address();
    if (!address || typeof address === 'string') throw new Error('not listening');
    return address.port;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Replies lost so far. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Client connections accepted so far (each lost reply makes the client reconnect). */
  get accepted(): number {
    return this.#accepted;
  }

  /** From now on, lose replies as `rule` says (replacing any earlier rule). */
  dropReplies(rule: DropRule): void {
    this.#rule = rule;
    this.#matched = 0;
    this.#marked = 0;
    this.#dropped = 0;
  }

  /** @internal Decides, as a command goes to Redis, whether its reply is to be lost. */
  shouldDrop(command: RespCommand): boolean {
    const rule = this.#rule;
    if (!rule || this.#marked >= rule.count || !rule.matches(command)) return false;
    this.#matched += 1;
    if (this.#matched % (rule.every ?? 1) !== 0) return false;
    this.#marked += 1;
    return true;
  }

  /** @internal */
  onDropped(): void {
    this.#dropped += 1;
  }

  async close(): Promise<void> {
    for (const connection of this.#connections) connection.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  /** @internal */
  accept(client: Socket): void {
    this.#accepted += 1;
    client.pause();
    const server = connect(this.#target.port, this.#target.host);
    const connection = new ProxiedConnection(client, server, this);
    this.#connections.add(connection);
    client.once('close', () => this.#connections.delete(connection));
    server.once('connect', () => client.resume());
  }
}

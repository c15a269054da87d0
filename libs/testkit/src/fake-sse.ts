import type { ServerResponse } from 'node:http';
import { pause } from './fake-http.js';

// The server-sent events writer the loopback LLM fakes share. Internal to the testkit: index.ts does not export it.

/** The stream headers OpenAI, Anthropic and Mistral send before their own. */
export const SSE_HEADERS = { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' };

/** How a stream stops early: `reset` drops the connection, `end` closes the response cleanly. */
export type FakeDisconnectMode = 'reset' | 'end';

/** Writes one response as server-sent events: `data:` and `event:` frames, delays and early stops. */
export class FakeSseStream {
  /**
   * @param response - the response to stream on
   * @param lineEnd - the line ending of every frame (Gemini's API uses `\r\n`) @defaultValue `'\n'`
   */
  constructor(
    private readonly response: ServerResponse,
    private readonly lineEnd: '\n' | '\r\n' = '\n',
  ) {}

  /** Sends the status and headers; `flush` pushes them out before the first frame. */
  open(headers: Record<string, string>, flush = false): void {
    this.response.writeHead(200, headers);
    if (flush) this.response.flushHeaders();
  }

  /** The `data:` frame of a JSON value. */
  frame(body: unknown): string {
    return `data: ${JSON.stringify(body)}${this.lineEnd}${this.lineEnd}`;
  }

  /** Writes a `data:` frame; with `last`, ends the response with it. */
  data(body: unknown, last = false): void {
    this.write(this.frame(body), last);
  }

  /** Writes an `event:` frame with its JSON `data:`; with `last`, ends the response with it. */
  event(type: string, body: unknown, last = false): void {
    this.write(`event: ${type}${this.lineEnd}${this.frame(body)}`, last);
  }

  /** Ends the response with `data: [DONE]`. */
  done(): void {
    this.response.end(`data: [DONE]${this.lineEnd}${this.lineEnd}`);
  }

  /** Ends the response, with these final bytes if any. */
  end(text?: string): void {
    if (text === undefined) this.response.end();
    else this.response.end(text);
  }

  /** Waits, unless the client goes away first; true when the response is still open. */
  pause(ms: number | undefined): Promise<boolean> {
    return pause(ms, this.response);
  }

  /**
   * Sends each piece with `send`, waiting `delayMs` between them and for
   * `before(index)` before each, and stops before piece number `stopAfter`
   * (when given). False when the client went away during a wait.
   */
  async pieces<Piece>(
    pieces: readonly Piece[],
    options: {
      stopAfter?: number | undefined;
      delayMs?: number | undefined;
      before?: ((index: number) => Promise<void> | void) | undefined;
    },
    send: (piece: Piece) => void,
  ): Promise<boolean> {
    for (const [index, piece] of pieces.entries()) {
      if (options.stopAfter !== undefined && index >= options.stopAfter) break;
      if (index > 0 && !(await this.pause(options.delayMs))) return false;
      if (options.before) {
        await options.before(index);
        if (this.response.destroyed || this.response.writableEnded) return false;
      }
      send(piece);
    }
    return true;
  }

  /**
   * Stops the stream early: `end` closes it cleanly, `reset` lets the frames reach the client, then drops the
   * connection.
   */
  async disconnect(mode: FakeDisconnectMode = 'reset'): Promise<void> {
    if (mode === 'end') {
      this.response.end();
      return;
    }
    await this.pause(20);
    this.response.destroy();
  }

  private write(text: string, last: boolean): void {
    if (last) this.response.end(text);
    else this.response.write(text);
  }
}

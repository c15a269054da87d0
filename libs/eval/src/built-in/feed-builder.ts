import type { Severity } from '@turbostream/contracts';
import type { CorpusFeed, CorpusMessage, Incident } from '../corpus.js';

/** The incident a built-in feed labels, before its messages are known. */
export interface IncidentSpec {
  id: string;
  kind: string;
  description: string;
  minSeverity: Severity;
}

/**
 * Collects a built-in feed's messages (ids `<name>-0001`, `<name>-0002`, … in feed order, so message `n` of the
 * feed is `<name>-000n`) and the messages each incident labels.
 */
export class FeedBuilder {
  readonly messages: CorpusMessage[] = [];
  readonly #labels = new Map<string, string[]>();

  constructor(readonly name: string) {}

  /** The number (1-based) the next message will get. */
  get next(): number {
    return this.messages.length + 1;
  }

  /** Adds a message (objects as JSON text), labelled with the incidents given; returns its id. */
  add(at: number, data: unknown, ...incidents: (string | undefined)[]): string {
    const last = this.messages.at(-1);
    if (last !== undefined && at <= last.at) throw new Error(`${this.name}: times must increase (${at})`);
    const id = messageId(this.name, this.next);
    this.messages.push({ id, at, data: typeof data === 'string' ? data : JSON.stringify(data) });
    for (const incident of incidents) {
      if (incident === undefined) continue;
      const ids = this.#labels.get(incident) ?? [];
      ids.push(id);
      this.#labels.set(incident, ids);
    }
    return id;
  }

  /** The feed, with each incident's labelled messages; an incident that labels none is a bug of the generator. */
  build(feed: Omit<CorpusFeed, 'name' | 'messages' | 'incidents'>, specs: readonly IncidentSpec[]): CorpusFeed {
    const incidents: Incident[] = specs.map((spec) => {
      const messageIds = this.#labels.get(spec.id) ?? [];
      if (messageIds.length === 0) throw new Error(`${this.name}: incident ${spec.id} labels no message`);
      return { ...spec, messageIds };
    });
    const unknown = [...this.#labels.keys()].filter((label) => !specs.some((spec) => spec.id === label));
    if (unknown.length > 0) throw new Error(`${this.name}: messages labelled with unknown incidents ${unknown}`);
    return { name: this.name, ...feed, messages: this.messages, incidents };
  }
}

/** The id of message `n` (1-based) of a built-in feed: `trades-0042`. */
export function messageId(feed: string, n: number): string {
  return `${feed}-${String(n).padStart(4, '0')}`;
}

/** A number with `digits` decimals, as a JSON number (`21.37`). */
export function round(value: number, digits: number): number {
  return Number(value.toFixed(digits));
}

/** The first message's time of every built-in feed: Monday 12 January 2026, 09:30 UTC. */
export const CORPUS_START = Date.UTC(2026, 0, 12, 9, 30, 0);

import type { Severity } from '@turbostream/contracts';

/** One message of a corpus feed. */
export interface CorpusMessage {
  /** The corpus's own id, unique within the feed (`trades-0042`); evidence is scored against it. */
  id: string;
  /** Epoch ms; strictly increasing within a feed. */
  at: number;
  /** The message text exactly as the feed would send it (JSON text for a JSON feed). */
  data: string;
}

/** Something an expert would want an alert for, and the messages that show it. */
export interface Incident {
  /** Unique within the feed (`trades-flash-crash`). */
  id: string;
  /** What sort of incident (`flash-crash`, `error-burst`, …). */
  kind: string;
  description: string;
  /** The messages that show it (all of them, or the ones an expert would cite), in feed order. */
  messageIds: string[];
  /** The lowest severity an alert may give it and still be right. */
  minSeverity: Severity;
}

/** The window limits of a feed, as a stream's `window` in streams.yaml. */
export interface CorpusWindowLimits {
  maxMessages: number;
  maxBytes: number;
  maxSeconds: number;
}

/** One labelled feed: what to replay, how the stream is configured, and what should be found. */
export interface CorpusFeed {
  /** A stream id (`[a-z0-9_-]{1,64}`), unique within a corpus. */
  name: string;
  description: string;
  format: 'json' | 'text';
  /** The stream's `analysis.instructions`: what to alert on. */
  instructions: string;
  window: CorpusWindowLimits;
  messages: CorpusMessage[];
  /** None for a feed that should raise no alert. */
  incidents: Incident[];
}

const SEVERITY_RANK: Record<Severity, number> = { info: 0, warning: 1, critical: 2 };

/** Orders severities: negative when `left` is less severe than `right`. */
export function compareSeverity(left: Severity, right: Severity): number {
  return SEVERITY_RANK[left] - SEVERITY_RANK[right];
}

/** The more severe of two severities. */
export function maxSeverity(left: Severity, right: Severity): Severity {
  return compareSeverity(left, right) >= 0 ? left : right;
}

/** The less severe of two severities. */
export function minSeverityOf(left: Severity, right: Severity): Severity {
  return compareSeverity(left, right) <= 0 ? left : right;
}

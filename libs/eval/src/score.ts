import type { Severity } from '@turbostream/contracts';
import { type CorpusFeed, compareSeverity, maxSeverity } from './corpus.js';

/** One alert a target raised while the corpus was replayed, its evidence mapped back to corpus message ids. */
export interface EvalAlert {
  feed: string;
  windowId: string;
  severity: Severity;
  title: string;
  /** Corpus message ids (the replayer maps the stream entry ids back). */
  evidence: string[];
}

/** One window the replay cut and had analysed. */
export interface EvalWindow {
  feed: string;
  windowId: string;
  /** Corpus ids of the window's messages. */
  messageIds: string[];
}

/** An alert as a score names it: its place in the `alerts` given to {@link scoreAlerts}, and what it said. */
export interface AlertRef {
  index: number;
  windowId: string;
  severity: Severity;
  title: string;
}

export interface IncidentScore {
  feed: string;
  incidentId: string;
  kind: string;
  minSeverity: Severity;
  /** At least one alert cites one of its messages. */
  found: boolean;
  /** The alerts that cite it, in the order given. */
  matchedBy: AlertRef[];
  /** The highest severity among them; `null` when not found. */
  severity: Severity | null;
  /** `severity` ≥ `minSeverity`; `null` when not found. */
  severityOk: boolean | null;
  /** The windows that hold its messages, in the order given (empty when no windows were given). */
  windows: string[];
  /** Its messages fall into more than one window. */
  split: boolean;
}

export type FalseAlarmReason = 'no-evidence' | 'no-incident-cited';

export interface AlertScore extends AlertRef {
  feed: string;
  /** Its evidence, each id once. */
  evidence: string[];
  /** The incidents its evidence cites; empty for a false alarm. */
  incidents: string[];
  verdict: 'match' | 'false-alarm';
  /** Why it is a false alarm: it cites nothing, or nothing it cites belongs to an incident. */
  reason?: FalseAlarmReason;
  /** Evidence that names no message of the feed (counted nowhere; kept to spot a replayer's mapping bug). */
  unknownEvidence: string[];
}

/** The figures of a feed, or of all feeds together (sums over the feeds, so the overall rates are micro-averages). */
export interface ScoreFigures {
  incidents: number;
  /** Incidents found (each once, however many alerts cite it). */
  found: number;
  alerts: number;
  /** Alerts that cite at least one incident (each a true positive). */
  matchingAlerts: number;
  falseAlarms: number;
  /** Found incidents whose best matching alert is at or above their minSeverity. */
  severityOk: number;
  /** Windows analysed. */
  windows: number;
  /** found / incidents; `null` without incidents. */
  recall: number | null;
  /** matchingAlerts / alerts; `null` without alerts. */
  precision: number | null;
  /** Harmonic mean of recall and precision; `null` when either is. */
  f1: number | null;
  /** severityOk / found; `null` when nothing was found. */
  severityAccuracy: number | null;
  /** falseAlarms / windows; `null` without windows. */
  falseAlarmsPerWindow: number | null;
}

export interface FeedScore extends ScoreFigures {
  feed: string;
}

export interface Score {
  overall: ScoreFigures;
  /** In the order of the feeds given. */
  feeds: FeedScore[];
  /** Every incident of every feed, in corpus order. */
  incidents: IncidentScore[];
  /** Every alert, in the order given. */
  alerts: AlertScore[];
}

/**
 * Scores the alerts of one target against the corpus (the match rule is in libs/eval/README.md and docs/eval.md):
 * an alert matches an incident when its evidence names one of the incident's messages, from whichever window; an
 * incident is found when at least one alert matches it; an alert that matches none, or cites nothing, is a false
 * alarm. Every matching alert is a true positive for precision; an incident counts once for recall. An alert or a
 * window of a feed that is not in `feeds` is a caller's mistake and throws.
 */
export function scoreAlerts(
  feeds: readonly CorpusFeed[],
  windows: readonly EvalWindow[],
  alerts: readonly EvalAlert[],
): Score {
  const byName = new Map<string, CorpusFeed>();
  for (const feed of feeds) {
    if (byName.has(feed.name)) throw new Error(`feed ${JSON.stringify(feed.name)} is given twice`);
    byName.set(feed.name, feed);
  }
  const feedOf = (name: string, what: string): CorpusFeed => {
    const feed = byName.get(name);
    if (feed === undefined)
      throw new Error(
        `${what} of feed ${JSON.stringify(name)}, which is not among the feeds scored (${[...byName.keys()].join(', ')})`,
      );
    return feed;
  };

  const incidents = new Map<string, IncidentScore>();
  const incidentsOfMessage = new Map<string, Map<string, IncidentScore[]>>();
  const messagesOf = new Map<string, Set<string>>();
  for (const feed of feeds) {
    const byMessage = new Map<string, IncidentScore[]>();
    for (const incident of feed.incidents) {
      const scored: IncidentScore = {
        feed: feed.name,
        incidentId: incident.id,
        kind: incident.kind,
        minSeverity: incident.minSeverity,
        found: false,
        matchedBy: [],
        severity: null,
        severityOk: null,
        windows: [],
        split: false,
      };
      if (incidents.has(key(feed.name, incident.id)))
        throw new Error(`incident ${JSON.stringify(incident.id)} is given twice in feed ${JSON.stringify(feed.name)}`);
      incidents.set(key(feed.name, incident.id), scored);
      for (const id of new Set(incident.messageIds)) byMessage.set(id, [...(byMessage.get(id) ?? []), scored]);
    }
    incidentsOfMessage.set(feed.name, byMessage);
    messagesOf.set(feed.name, new Set(feed.messages.map((message) => message.id)));
  }

  const windowCount = new Map<string, number>();
  for (const window of windows) {
    feedOf(window.feed, `window ${window.windowId}`);
    windowCount.set(window.feed, (windowCount.get(window.feed) ?? 0) + 1);
    const held = new Set<IncidentScore>();
    for (const id of window.messageIds)
      for (const incident of incidentsOfMessage.get(window.feed)?.get(id) ?? []) held.add(incident);
    for (const incident of held)
      if (!incident.windows.includes(window.windowId)) incident.windows.push(window.windowId);
  }

  const alertScores = alerts.map((alert, index): AlertScore => {
    feedOf(alert.feed, `alert ${index} (${JSON.stringify(alert.title)})`);
    const ref: AlertRef = { index, windowId: alert.windowId, severity: alert.severity, title: alert.title };
    const evidence = [...new Set(alert.evidence)];
    const known = messagesOf.get(alert.feed) as Set<string>;
    const cited = new Set<IncidentScore>();
    for (const id of evidence)
      for (const incident of incidentsOfMessage.get(alert.feed)?.get(id) ?? []) cited.add(incident);
    for (const incident of cited) {
      incident.found = true;
      incident.matchedBy.push(ref);
      incident.severity = incident.severity === null ? alert.severity : maxSeverity(incident.severity, alert.severity);
    }
    const scored: AlertScore = {
      feed: alert.feed,
      ...ref,
      evidence,
      incidents: [...cited].map((incident) => incident.incidentId),
      verdict: cited.size > 0 ? 'match' : 'false-alarm',
      unknownEvidence: evidence.filter((id) => !known.has(id)),
    };
    if (cited.size === 0) scored.reason = evidence.length === 0 ? 'no-evidence' : 'no-incident-cited';
    return scored;
  });

  for (const incident of incidents.values()) {
    incident.split = incident.windows.length > 1;
    if (incident.severity !== null) incident.severityOk = compareSeverity(incident.severity, incident.minSeverity) >= 0;
  }

  const incidentList = [...incidents.values()];
  const feedScores = feeds.map(
    (feed): FeedScore => ({
      feed: feed.name,
      ...figures(
        incidentList.filter((incident) => incident.feed === feed.name),
        alertScores.filter((alert) => alert.feed === feed.name),
        windowCount.get(feed.name) ?? 0,
      ),
    }),
  );
  return {
    overall: figures(incidentList, alertScores, windows.length),
    feeds: feedScores,
    incidents: incidentList,
    alerts: alertScores,
  };
}

function key(feed: string, incident: string): string {
  return `${feed}\u0000${incident}`;
}

function ratio(part: number, whole: number): number | null {
  return whole === 0 ? null : part / whole;
}

function figures(incidents: readonly IncidentScore[], alerts: readonly AlertScore[], windows: number): ScoreFigures {
  const found = incidents.filter((incident) => incident.found).length;
  const matchingAlerts = alerts.filter((alert) => alert.verdict === 'match').length;
  const falseAlarms = alerts.length - matchingAlerts;
  const severityOk = incidents.filter((incident) => incident.severityOk === true).length;
  const recall = ratio(found, incidents.length);
  const precision = ratio(matchingAlerts, alerts.length);
  const f1 =
    recall === null || precision === null
      ? null
      : recall + precision === 0
        ? 0
        : (2 * recall * precision) / (recall + precision);
  return {
    incidents: incidents.length,
    found,
    alerts: alerts.length,
    matchingAlerts,
    falseAlarms,
    severityOk,
    windows,
    recall,
    precision,
    f1,
    severityAccuracy: ratio(severityOk, found),
    falseAlarmsPerWindow: ratio(falseAlarms, windows),
  };
}

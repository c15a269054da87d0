import type { Severity } from '@turbostream/contracts';
import type { Score } from './score.js';

/** One target's score: `target` names it (`openai/gpt-4.1-mini`, `heuristic`). */
export interface TargetScore {
  target: string;
  score: Score;
}

export type AgreementLevel = 'all' | 'some' | 'none';

/** What the targets made of one incident. */
export interface IncidentAgreement {
  feed: string;
  incidentId: string;
  kind: string;
  minSeverity: Severity;
  /** Targets that found it, in the order given. */
  foundBy: string[];
  /** Targets that scored it and missed it. */
  missedBy: string[];
  /** Found by every target that scored it, by some, or by none. */
  agreement: AgreementLevel;
  /** The best severity each target that scored it gave it (`null`: missed). */
  severities: Record<string, Severity | null>;
  /** Targets whose score does not hold this incident (scored on another corpus); left out of the agreement. */
  notScoredBy: string[];
}

export interface Agreement {
  targets: string[];
  /** Every incident any score holds, in the order first seen. */
  incidents: IncidentAgreement[];
  foundByAll: number;
  foundBySome: number;
  foundByNone: number;
}

/**
 * Compares several targets' scores incident by incident (matched by feed and incident id): which found it, which
 * missed it, and whether they agree (found by all, some or none).
 */
export function compareScores(targets: readonly TargetScore[]): Agreement {
  const names = targets.map((entry) => entry.target);
  const duplicate = names.find((name, index) => names.indexOf(name) !== index);
  if (duplicate !== undefined) throw new Error(`target ${JSON.stringify(duplicate)} is given twice`);
  const rows = new Map<string, IncidentAgreement>();
  for (const { score } of targets)
    for (const incident of score.incidents) {
      const id = `${incident.feed}\u0000${incident.incidentId}`;
      if (!rows.has(id))
        rows.set(id, {
          feed: incident.feed,
          incidentId: incident.incidentId,
          kind: incident.kind,
          minSeverity: incident.minSeverity,
          foundBy: [],
          missedBy: [],
          agreement: 'none',
          severities: {},
          notScoredBy: [],
        });
    }
  for (const row of rows.values()) {
    for (const { target, score } of targets) {
      const incident = score.incidents.find(
        (candidate) => candidate.feed === row.feed && candidate.incidentId === row.incidentId,
      );
      if (incident === undefined) {
        row.notScoredBy.push(target);
        continue;
      }
      (incident.found ? row.foundBy : row.missedBy).push(target);
      row.severities[target] = incident.severity;
    }
    row.agreement = row.foundBy.length === 0 ? 'none' : row.missedBy.length === 0 ? 'all' : 'some';
  }
  const incidents = [...rows.values()];
  const count = (level: AgreementLevel) => incidents.filter((row) => row.agreement === level).length;
  return {
    targets: names,
    incidents,
    foundByAll: count('all'),
    foundBySome: count('some'),
    foundByNone: count('none'),
  };
}

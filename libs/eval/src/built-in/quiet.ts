import type { CorpusFeed } from '../corpus.js';
import { feedSeed, seededRandom } from '../random.js';
import { CORPUS_START, FeedBuilder, round } from './feed-builder.js';

const NAME = 'quiet';
const COUNT = 400;
const REGIONS = [
  { region: 'eu-west', rps: 1_200, p50: 22, cpu: 48 },
  { region: 'us-east', rps: 1_800, p50: 18, cpu: 55 },
  { region: 'ap-south', rps: 600, p50: 45, cpu: 38 },
  { region: 'sa-east', rps: 300, p50: 60, cpu: 30 },
] as const;
/** Routine configuration reloads (info), which are not incidents. */
const RELOADS = new Set([150, 300]);

export const QUIET_INSTRUCTIONS =
  'Edge metrics of four regions, one line per region every two seconds. Regions differ a lot (ap-south and ' +
  'sa-east are small and slower), and traffic follows a slow daily cycle. Alert on: an outage (rps near 0), ' +
  'error_rate above 0.05, p99_ms above 1000, or cpu_pct above 90. Configuration reloads are routine.';

/** Edge metrics with ordinary variation and no incident: any alert on it is a false alarm. */
export function quietFeed(seed: number): CorpusFeed {
  const random = seededRandom(feedSeed(seed, NAME));
  const feed = new FeedBuilder(NAME);
  const phase = random.next() * 2 * Math.PI;
  let at = CORPUS_START;

  for (let n = 1; n <= COUNT; n += 1) {
    const base = REGIONS[(n - 1) % REGIONS.length] as (typeof REGIONS)[number];
    const step = random.int(450, 550);
    const rps = random.gaussian();
    const p50 = random.gaussian();
    const tail = Math.abs(random.gaussian());
    const errors = Math.abs(random.gaussian());
    const cpu = random.gaussian();
    const conns = random.gaussian();
    const lag = random.int(0, 30);
    if (n > 1) at += step;

    if (RELOADS.has(n)) {
      feed.add(at, {
        ts: at - lag,
        region: base.region,
        level: 'info',
        event: 'config-reload',
        detail: 'routing table reloaded (no change)',
      });
      continue;
    }
    const cycle = 1 + 0.08 * Math.sin(phase + (2 * Math.PI * n) / COUNT);
    const load = base.rps * cycle * (1 + rps * 0.03);
    const median = base.p50 * (1 + p50 * 0.05);
    feed.add(at, {
      ts: at - lag,
      region: base.region,
      rps: Math.round(load),
      p50_ms: round(median, 1),
      p99_ms: round(median * (4 + tail * 0.4), 1),
      error_rate: round(0.002 + errors * 0.0006, 4),
      cpu_pct: round(base.cpu * cycle + cpu * 2, 1),
      conns: Math.round(load * 0.8 * (1 + conns * 0.02)),
    });
  }

  return feed.build(
    {
      description: 'Edge metrics of four regions with ordinary variation and two routine reloads: no incident.',
      format: 'json',
      instructions: QUIET_INSTRUCTIONS,
      window: { maxMessages: 50, maxBytes: 262_144, maxSeconds: 60 },
    },
    [],
  );
}

import type { CorpusFeed } from '../corpus.js';
import { feedSeed, seededRandom } from '../random.js';
import { CORPUS_START, FeedBuilder, round } from './feed-builder.js';

const NAME = 'telemetry';
const COUNT = 400;
const DEVICES = 8;
/** dev-004 and dev-008 have no vibration sensor (normal). */
const WITHOUT_VIBRATION = new Set([3, 7]);
/** dev-005 reports 91.4 °C once (message 61, window 2): above the 70 °C operating limit. */
const OUT_OF_RANGE = 61;
/** dev-003's temperature drifts up 0.3 °C a report from message 107 to the end (windows 3–8). */
const DRIFT_DEVICE = 2;
const DRIFT_FROM = 107;
/** dev-006's vibration sensor reads null from message 326 to 366: across the boundary between windows 7 and 8. */
const DROPOUT_DEVICE = 5;
const DROPOUT_FROM = 326;
const DROPOUT_TO = 366;

export const TELEMETRY_INSTRUCTIONS =
  'Telemetry of eight devices, one report a second in turn (device → sensors → readings). ' +
  'Operating ranges: temperature 0–70 °C, humidity 10–90 %, vibration rms below 0.5 g. ' +
  'Alert on: a reading outside its range (critical); a sensor drifting steadily away from its own earlier readings ' +
  "and from the other devices' (sensor drift, warning); a sensor that stops giving values (null readings or a " +
  'missing sensor; dropout, warning). dev-004 and dev-008 have no vibration sensor, and batteries drain slowly: ' +
  'both normal.';

/** IoT telemetry, nested three deep, with a sensor drift, a dropout and an out-of-range value. */
export function telemetryFeed(seed: number): CorpusFeed {
  const random = seededRandom(feedSeed(seed, NAME));
  const feed = new FeedBuilder(NAME);
  const devices = Array.from({ length: DEVICES }, (_, index) => ({
    id: `dev-${String(index + 1).padStart(3, '0')}`,
    model: index % 3 === 0 ? 'TX-300' : 'TX-200',
    fw: index % 4 === 1 ? '2.4.1' : '2.5.0',
    site: `plant-${1 + (index % 3)}`,
    temp: 21 + index * 0.8 + random.gaussian() * 0.5,
    humidity: 42 + index + random.gaussian(),
    battery: 100 - index * 7 - random.int(0, 5),
  }));
  let at = CORPUS_START;

  for (let n = 1; n <= COUNT; n += 1) {
    const index = (n - 1) % DEVICES;
    const device = devices[index] as (typeof devices)[number];
    const report = Math.floor((n - 1) / DEVICES);
    const step = random.int(900, 1_100);
    const lag = random.int(20, 60);
    const temp = random.gaussian();
    const humidity = random.gaussian();
    const rms = Math.abs(random.gaussian());
    const peak = Math.abs(random.gaussian());
    if (n > 1) at += step;

    let incident: string | undefined;
    let tempValue = device.temp + temp * 0.3;
    if (index === DRIFT_DEVICE && n >= DRIFT_FROM) {
      tempValue += 0.3 * (1 + Math.floor((n - DRIFT_FROM) / DEVICES));
      incident = 'telemetry-sensor-drift';
    }
    if (n === OUT_OF_RANGE) {
      tempValue = 91.4 + temp * 0.2;
      incident = 'telemetry-out-of-range';
    }
    const sensors: Record<string, unknown> = {
      temp: { value: round(tempValue, 2), unit: 'C', status: 'ok' },
      humidity: { value: round(device.humidity + humidity * 1.5, 1), unit: '%', status: 'ok' },
    };
    if (!WITHOUT_VIBRATION.has(index)) {
      const dropout = index === DROPOUT_DEVICE && n >= DROPOUT_FROM && n <= DROPOUT_TO;
      sensors.vibration = dropout
        ? { rms: null, peak: null, unit: 'g', status: 'no_signal' }
        : { rms: round(0.12 + rms * 0.02, 3), peak: round(0.4 + peak * 0.1, 3), unit: 'g', status: 'ok' };
      if (dropout) incident = 'telemetry-dropout';
    }
    feed.add(
      at,
      {
        device: { id: device.id, model: device.model, fw: device.fw, site: device.site },
        seq: report + 1,
        ts: at - lag,
        sensors,
        battery: { pct: Math.max(5, device.battery - Math.floor(report / 10)), charging: false },
      },
      incident,
    );
  }

  return feed.build(
    {
      description:
        'Telemetry of eight devices (device → sensors → readings): an out-of-range value, a drift, a dropout.',
      format: 'json',
      instructions: TELEMETRY_INSTRUCTIONS,
      window: { maxMessages: 50, maxBytes: 262_144, maxSeconds: 120 },
    },
    [
      {
        id: 'telemetry-out-of-range',
        kind: 'out-of-range',
        description: `dev-005 reports 91.4 °C, above the 70 °C limit, with status ok (message ${OUT_OF_RANGE}).`,
        minSeverity: 'critical',
      },
      {
        id: 'telemetry-sensor-drift',
        kind: 'sensor-drift',
        description:
          `dev-003's temperature climbs 0.3 °C a report from message ${DRIFT_FROM} to the end (about +11 °C), while ` +
          'its humidity and the other devices stay flat; every window from the third on shows part of it.',
        minSeverity: 'warning',
      },
      {
        id: 'telemetry-dropout',
        kind: 'dropout',
        description:
          `dev-006's vibration sensor reads null (status no_signal) in its six reports from message ${DROPOUT_FROM} ` +
          `to ${DROPOUT_TO}; windows of 50 cut it after message 350.`,
        minSeverity: 'warning',
      },
    ],
  );
}

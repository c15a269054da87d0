/**
 * The chaos scenarios quick enough for `npm test` (under about 20 s each):
 * the same scenarios and checker as `npm run chaos` (test/chaos), with the
 * same guarantees: nothing lost without a gap entry, nothing stored twice,
 * every stored message in exactly one analysed window, no alert id twice.
 */
import { describeChaos } from './chaos/describe-chaos.js';
import { SCENARIOS } from './chaos/scenarios.js';

describeChaos(
  'chaos scenarios (the quick ones; all of them: npm run chaos)',
  SCENARIOS.filter((scenario) => scenario.quick),
  { writeReport: false },
);

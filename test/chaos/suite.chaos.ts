/**
 * `npm run chaos`: every fault scenario of issue 8, one after another, each
 * on a fresh pipeline of real processes, checked by the chaos checker. Prints
 * the table (sent / stored / lost / duplicated / windowed / analysed /
 * duplicate alerts per scenario) and writes it as markdown (CHAOS_REPORT, or
 * turbostream-chaos-report.md in the temporary directory). CHAOS_SCENARIOS=a,b
 * runs some of them.
 */
import { describeChaos, selectedScenarios } from './describe-chaos.js';
import { SCENARIOS } from './scenarios.js';

describeChaos('Chaos: npm run chaos', selectedScenarios(SCENARIOS), { writeReport: true });

/** Vitest wiring shared by `npm run chaos` (every scenario) and `npm test` (the quick ones). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertCliBuilt } from '../support/service-process.js';
import { chaosTable, writeChaosReport } from './report.js';
import { CHECK_BUDGET_MS, runScenario, type Scenario, type ScenarioResult } from './scenario.js';

/** The scenarios named in `CHAOS_SCENARIOS` (comma-separated ids), or all of them. */
export function selectedScenarios(scenarios: readonly Scenario[]): Scenario[] {
  // biome-ignore lint/suspicious/noUndeclaredEnvVars: a knob of the chaos suite, not an input of any build
  const wanted = process.env.CHAOS_SCENARIOS?.split(',')
    .map((id) => id.trim())
    .filter(Boolean);
  if (!wanted?.length) return [...scenarios];
  const unknown = wanted.filter((id) => !scenarios.some((scenario) => scenario.id === id));
  if (unknown.length > 0) throw new Error(`CHAOS_SCENARIOS names unknown scenarios: ${unknown.join(', ')}`);
  return scenarios.filter((scenario) => wanted.includes(scenario.id));
}

/**
 * One test per scenario, run one after another; each fails with the
 * guarantees it broke. At the end the table is printed, and with
 * `writeReport` also written as markdown.
 */
export function describeChaos(title: string, scenarios: readonly Scenario[], options: { writeReport: boolean }): void {
  const results: ScenarioResult[] = [];
  describe(title, () => {
    beforeAll(() => assertCliBuilt());
    afterAll(() => {
      if (results.length === 0) return;
      if (options.writeReport) writeChaosReport(results, title);
      else process.stdout.write(`\n${chaosTable(results)}`);
    });
    for (const scenario of scenarios) {
      it(
        `${scenario.id}: ${scenario.fault}`,
        async () => {
          const result = await runScenario(scenario);
          results.push(result);
          expect(result.violations, `${scenario.id}: ${JSON.stringify(result.counts)}`).toEqual([]);
        },
        scenario.runMs + CHECK_BUDGET_MS + 30_000,
      );
    }
  });
}

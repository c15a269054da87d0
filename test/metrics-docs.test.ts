/**
 * The README's metric table says what the metric table of libs/metrics holds: every metric once, with its type,
 * labels and exporting services, and nothing else.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { METRICS } from '@turbostream/metrics';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './support/service-process.js';

const cells = (line: string) =>
  line
    .split('|')
    .slice(1, -1)
    .map((cell) => cell.trim());
const names = (cell: string | undefined) => [...(cell ?? '').matchAll(/`([^`]+)`/g)].map((match) => match[1]);

describe('README, Metrics', () => {
  it('lists every metric of the table with its type, labels and services', () => {
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
    const section = readme.slice(
      readme.indexOf('## Metrics'),
      readme.indexOf('\n## ', readme.indexOf('## Metrics') + 1),
    );
    const rows = section
      .split('\n')
      .filter((line) => line.startsWith('| `'))
      .map(cells)
      .map(([name, type, labels, services]) => ({
        name: names(name)[0],
        type,
        labels: names(labels),
        services: (services ?? '').split(',').map((service) => service.trim()),
      }));
    expect(rows).toEqual(
      Object.values(METRICS).map((spec) => ({
        name: spec.name,
        type: spec.type,
        labels: [...spec.labels],
        services: [...spec.services],
      })),
    );
  });
});

import { describe, expect, it } from 'vitest';
import { planStack } from './stack-plan.js';

const base = {
  command: '/usr/bin/node',
  cliArgs: ['--max-semi-space-size=16', '/cli/main.js'],
  env: { PATH: '/bin', UNSET: undefined, TURBOSTREAM_INSTANCE_ID: 'mine' },
  common: { REDIS_URL: 'redis://127.0.0.1:7000' },
};

describe('planStack', () => {
  it('starts the demo feed, N analyzers with their own instance ids, the windower and ingest, in that order', () => {
    const specs = planStack({ ...base, analyzers: 3, demo: { port: 41234, rate: 50 } });
    expect(specs.map((spec) => spec.name)).toEqual([
      'demo-feed',
      'analyzer-1',
      'analyzer-2',
      'analyzer-3',
      'windower',
      'ingest',
    ]);
    expect(specs.map((spec) => spec.env.TURBOSTREAM_INSTANCE_ID)).toEqual([
      'mine',
      'analyzer-1',
      'analyzer-2',
      'analyzer-3',
      'windower',
      'ingest',
    ]);
    expect(specs[0]?.args).toEqual([
      ...base.cliArgs,
      'demo-feed',
      '--port',
      '41234',
      '--host',
      '127.0.0.1',
      '--rate',
      '50',
    ]);
    expect(specs[2]?.args).toEqual([...base.cliArgs, 'analyzer']);
    for (const spec of specs) {
      expect(spec.command).toBe('/usr/bin/node');
      expect(spec.env.REDIS_URL).toBe('redis://127.0.0.1:7000');
      expect(spec.env.PATH).toBe('/bin');
      expect('UNSET' in spec.env).toBe(false);
    }
  });

  it('runs no demo feed for a streams file, and gives each service its own health port when asked', () => {
    const specs = planStack({ ...base, analyzers: 2, healthPort: 9000 });
    expect(specs.map((spec) => [spec.name, spec.env.HEALTH_PORT])).toEqual([
      ['analyzer-1', '9002'],
      ['analyzer-2', '9003'],
      ['windower', '9001'],
      ['ingest', '9000'],
    ]);
    expect(planStack({ ...base, analyzers: 1 }).every((spec) => spec.env.HEALTH_PORT === undefined)).toBe(true);
  });
});

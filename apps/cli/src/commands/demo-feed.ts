import { DemoFeed } from '../demo/demo-feed.js';
import { untilSignal } from '../runtime/shutdown.js';

export async function demoFeed(options: {
  port: number;
  host: string;
  rate: number;
  anomalyEvery: number;
}): Promise<void> {
  const feed = new DemoFeed({
    port: options.port,
    host: options.host,
    ratePerSecond: options.rate,
    anomalyEverySeconds: options.anomalyEvery,
  });
  const url = await feed.start();
  process.stdout.write(
    `demo feed at ${url}: ${options.rate} trades/s, an anomaly every ${options.anomalyEvery} s (Ctrl-C stops)\n`,
  );
  await untilSignal();
  await feed.close();
}

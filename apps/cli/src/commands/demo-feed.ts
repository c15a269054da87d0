import { DemoFeed } from '../demo/demo-feed.js';
import { untilSignal } from '../runtime/shutdown.js';

export const DEMO_FEED_HELP = `turbostream demo-feed — serve market-like JSON trades with injected anomalies over WebSocket

Usage: turbostream demo-feed [--port 8765] [--host 127.0.0.1] [--rate 20] [--anomaly-every 12]

Options:
  --port N            port to listen on (default 8765)
  --host H            address to bind (default 127.0.0.1)
  --rate N            trades per second (default 20)
  --anomaly-every S   seconds between injected anomalies (default 12)
  -h, --help`;

export async function demoFeed(options: { port: number; host: string; rate: number; anomalyEvery: number }): Promise<void> {
  const feed = new DemoFeed({ port: options.port, host: options.host, ratePerSecond: options.rate, anomalyEverySeconds: options.anomalyEvery });
  const url = await feed.start();
  process.stdout.write(`demo feed at ${url}: ${options.rate} trades/s, an anomaly every ${options.anomalyEvery} s (Ctrl-C stops)\n`);
  await untilSignal();
  await feed.close();
}

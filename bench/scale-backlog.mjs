// A backlog of valid analysis jobs (WindowJob v1), stored straight into a provider's queue as the windower would.
import { WindowJob, windowJobId } from '@turbostream/contracts';
import { analysisJobOptions } from '@turbostream/queue';

/** `count` windows of `messages` market-like messages each, for `target`, one job per window. */
export function backlogJobs({ count, messages, target, streamId = 'bench', startMs = Date.now() - 3_600_000 }) {
  const jobs = [];
  for (let index = 0; index < count; index += 1) {
    const first = startMs + index * messages;
    const items = Array.from({ length: messages }, (_, offset) => {
      const id = `${first + offset}-0`;
      return {
        id,
        data: JSON.stringify({
          e: 'trade',
          s: 'BTCUSDT',
          t: index * messages + offset,
          p: (61_200 + ((offset * 7) % 13)).toFixed(2),
          q: '0.010',
        }),
        receivedAt: first + offset,
      };
    });
    const window = {
      streamId,
      windowId: items[0].id,
      firstEntryId: items[0].id,
      lastEntryId: items.at(-1).id,
      closedBy: 'messages',
      bytes: items.reduce((sum, item) => sum + item.data.length, 0),
      from: first,
      to: first + messages - 1,
      messages: items,
      gaps: [],
    };
    const data = WindowJob.parse({
      v: 1,
      target,
      instructions: 'Alert on price moves over 1% within a window.',
      window,
      enqueuedAt: Date.now(),
    });
    jobs.push({
      name: 'window',
      data,
      opts: { ...analysisJobOptions(5), jobId: windowJobId(streamId, window.windowId, target) },
    });
  }
  return jobs;
}

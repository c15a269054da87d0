// The fake LLM of bench/scale.mjs, in a process of its own: the testkit's OpenAI fake (the same SSE answer as
// everywhere else: a role chunk, then after LATENCY_MS the content in five deltas, the finish chunk, the usage chunk
// and [DONE]), keeping no record of the requests it serves. It also times itself: how late each first content delta
// went out against the LATENCY_MS it was asked for (its own timer and event loop falling behind under load, which a
// remote provider would not add). Messages over IPC: it sends { url } once listening; 'stats' is answered with
// { late: [ms…] } (the lateness of every call since the last 'stats').
//   node bench/scale-fake.mjs --latency MS --api-key KEY
import { parseArgs } from 'node:util';
import { startFakeOpenAI } from '@turbostream/testkit';

const { values } = parseArgs({ options: { latency: { type: 'string' }, 'api-key': { type: 'string' } } });
const latencyMs = Number(values.latency);
let late = [];
const llm = await startFakeOpenAI({
  apiKey: values['api-key'],
  handler: () => {
    // A benchmark's fake keeps nothing: the testkit's would otherwise hold every prompt it was sent.
    llm.requests.length = 0;
    const receivedAt = performance.now();
    return {
      content: '{"alerts":[]}',
      firstTokenDelayMs: latencyMs,
      beforeChunk: (index) => {
        if (index === 0) late.push(performance.now() - receivedAt - latencyMs);
      },
    };
  },
});
process.on('message', (message) => {
  if (message !== 'stats') return;
  process.send?.({ late });
  late = [];
});
const stop = async () => {
  await llm.close();
  process.exit(0);
};
process.once('SIGTERM', stop);
process.once('disconnect', stop); // the benchmark is gone (killed): so is its fake

process.send?.({ url: llm.url });

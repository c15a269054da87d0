/**
 * Every help text of the `turbostream` command, in one light module: `--help`
 * loads this and nothing else of the commands (no SDK, no Redis client), and
 * the provider lists come from the registry in @turbostream/contracts.
 */
import { providerChoices } from '@turbostream/contracts';
import { BUILT_IN_CORPORA, DEFAULT_CORPUS_SEED } from '@turbostream/eval';
import type { ServiceName } from './runtime/pipeline.js';

export const MAIN_HELP = `turbostream — watch live WebSocket feeds with the LLM of your choice

Usage: turbostream <command> [options]

Commands:
  up             run ingest, windower and analyzer in one process (the laptop way)
  ingest         run the ingest service (WebSocket sources → Redis streams)
  windower       run the windower service (Redis streams → analysis jobs)
  analyzer       run an analyzer (analysis jobs → alerts); run several to scale
  stack          run ingest, windower and N analyzers as separate, supervised processes
  alerts         follow published alerts
  streams        list streams with targets and status; \`streams set\` switches a stream's model live
  providers      list providers (configured or not); --check calls each configured one
  report         scoreboard per stream and model: windows, alerts, latency, tokens, cost, failures, agreement
  eval           score models on a labelled corpus: recall, precision, F1, severity, latency, tokens, dollars
  ask            ask a model a question about a stream's latest messages; the answer streams back
  dashboard      a live web dashboard of streams, alerts and providers on http://127.0.0.1:7700
  demo-feed      serve a local market-like feed with injected anomalies
  config check   validate env.local and streams.yaml; print the effective configuration

Run \`turbostream <command> --help\` for a command's options.
Configuration: env.local (see env.local.example) and streams.yaml (see streams.example.yaml).`;

export const ALERTS_HELP = `turbostream alerts — follow alerts as they are published

Usage: turbostream alerts [--stream ID] [--replay N] [--json]

Follows the Redis and namespace of \`turbostream up\` running in this directory
(.turbostream/up.json) when REDIS_URL is unset, else REDIS_URL (default
redis://127.0.0.1:6379). Reads the durable alert log (turbostream:alerts:log),
so it keeps following across a Redis restart or a dropped connection and
prints what was published meanwhile, each alert once. Standard output carries
only alerts: readable on a terminal, one JSON object a line otherwise.

Options:
  --stream ID   only this stream's alerts
  --replay N    first print the last N alerts from the durable log
  --json        JSON lines, on a terminal too
  -h, --help`;

export const ASK_HELP = `turbostream ask — ask a model a question about a stream's latest messages

Usage: turbostream ask <stream> "question" [--provider P [--model M]] [--max-tokens-in N] [--json]

Sends the stream's newest messages (read from its Redis stream: as many of the
latest as fit in --max-tokens-in input tokens with the question, counted with the
model family's tokenizer) and the question to the model; the answer streams to
standard output as it is written, escaped for the terminal. Standard error says
what was asked (messages, time range, tokens) and ends with a line: time to first
token, total time, tokens in/out and what the call cost (or that the model has
no price). The messages are rendered as the analyzer renders a window: fenced
and escaped, data for the model, never instructions; the question is yours.

The provider is the stream's own target (as \`streams set\` left it, else the
streams file) unless --provider names one; it must be configured here (the error
names the variable to set). The heuristic provider cannot answer questions.
A stream not in the streams file (the demo's, demo-market) needs --provider.
Uses the Redis and namespace of \`turbostream up\` in this directory, else
REDIS_URL, as \`streams\` does. LLM_MAX_TOKENS caps the answer, LLM_TIMEOUT_MS the call.

Options:
  --provider P       the provider to ask: one of ${providerChoices()}
  --model M          its model (default: the stream's, or <PROVIDER>_MODEL with --provider)
  --max-tokens-in N  the most input tokens to send, question and messages together (default 4000)
  --json             one JSON object a line on standard output: {"type":"context",…}, then
                     {"type":"token","text":…} as the answer streams, then {"type":"done",…}
  -h, --help`;

export const CONFIG_HELP = `turbostream config check — validate env.local and the streams file

Usage: turbostream config check

Prints the effective configuration with secrets masked, or every problem found,
each naming the file or variable, the field and what is expected. Exits 1 on problems.
Variables that look like TurboStream's but are not (OPENAI_APIKEY) are warnings.`;

export const DASHBOARD_HELP = `turbostream dashboard — a live web dashboard: streams, alerts, providers

Usage: turbostream dashboard [--host 127.0.0.1] [--port 7700]

Serves a page (no CDN: it works offline) that follows the alerts and operational
events as they are published (server-sent events fed by the Redis channels), with:
  Streams    each stream's source (masked), targets, windower, MISSING and BUDGET
             states, as \`turbostream streams\` shows them, and the latest events
  Alerts     the live list, filtered by stream and severity; click one for its
             summary and the messages it cites, read back from the stream
  Providers  per stream and model over the last hour, as \`turbostream report\`:
             time to first token and total time p50/p95, tokens, dollars, 429s;
             and the analyzers with their heartbeats
Uses the Redis and namespace of \`turbostream up\` in this directory, else REDIS_URL,
as \`streams\` does.

Security: it listens on 127.0.0.1 unless told otherwise. On any other address it
refuses to start without DASHBOARD_TOKEN (at least 16 characters); with a token,
every request needs it: open the dashboard once as http://HOST:PORT/?token=<it>
(an HttpOnly cookie keeps it), or send \`Authorization: Bearer <it>\`.

Options:
  --host H   address to listen on (default DASHBOARD_HOST, else 127.0.0.1)
  --port N   port (default DASHBOARD_PORT, else 7700; 0: any free port, printed)
  -h, --help`;

export const DEMO_FEED_HELP =
  `turbostream demo-feed — serve market-like JSON trades with injected anomalies ` +
  `over WebSocket

Usage: turbostream demo-feed [--port 8765] [--host 127.0.0.1] [--rate 20] [--anomaly-every 12]

Options:
  --port N            port to listen on (default 8765)
  --host H            address to bind (default 127.0.0.1)
  --rate N            trades per second (default 20)
  --anomaly-every S   seconds between injected anomalies (default 12)
  -h, --help`;

export const PROVIDERS_HELP =
  `turbostream providers — list every provider: configured or not, what is missing, ` +
  `key (masked), model, base URL

Usage: turbostream providers [--check] [--json]

Options:
  --check   make one tiny real call to each configured provider (with its <PROVIDER>_MODEL)
            and print time to first token and total time
  --json    machine-readable output

Providers: ${providerChoices()}.`;

export const EVAL_HELP = `turbostream eval — how well models alert: replay a labelled corpus through the real path

Usage: turbostream eval --target P/M [--target P/M …] [--corpus NAME|FILE …] [--seed N] [--json]

Options:
  --target P/M     a provider and model to score (a provider alone: its <PROVIDER>_MODEL); repeat to compare
  --corpus NAME    a built-in feed (${BUILT_IN_CORPORA.join(', ')}; default: all), or the path of a labelled
                   JSON lines file of your own (docs/eval.md); repeat for several
  --seed N         the built-in corpus's seed (default ${DEFAULT_CORPUS_SEED}: the same messages on every run)
  --json           machine-readable output

The corpus goes through the windower, the prompt and the provider exactly as a live
stream does, on a namespace of its own (on REDIS_URL when set, else a throwaway
redis-server), removed afterwards. Real providers are called: it costs what the calls cost
(about 80k input tokens per target for the built-in corpus). Per target it prints incidents
found (recall), alerts that match an incident (precision), F1, severity accuracy, time to
first token and total time (p50/p95), tokens, dollars and failures; with several targets,
a side-by-side table and which incidents each found.
  -h, --help`;

export const REPORT_HELP = `turbostream report — a scoreboard of the analyses of a recent period, per stream and model

Usage: turbostream report [--stream ID] [--since 1h] [--json]

For each stream and target (provider/model): windows analysed, windows with an
alert and alerts by severity, p50/p95 time to first token and total time (ms),
tokens in and out, dollars per 1,000 messages, windows failed for good and 429s.
For a stream with comparison targets, how each pair agrees on the windows both
analysed (a sampled target only analyses its sample): both alerted, only one,
neither, and the overlap of the entries their alerts cite (mean Jaccard over
the windows both alerted on).

Reads the analyzers' record of each outcome (<namespace>:analyses, capped at
about 100,000 records: the report says when the period starts before it).
Uses the Redis and namespace of \`turbostream up\` in this directory, else
REDIS_URL, as \`streams\` does.

Options:
  --stream ID   only this stream
  --since D     the period: a duration such as 30m, 1h, 2d (default 1h, at most 30d)
  --json        machine-readable output
  -h, --help`;

const LIFECYCLE_HELP = `HEALTH_PORT (and HEALTH_HOST) serve GET /healthz, /readyz and /metrics (Prometheus).
On SIGTERM or Ctrl-C it stops taking work (readiness turns 503), finishes work in
flight within SHUTDOWN_TIMEOUT_MS and exits 0; a second signal stops at once.`;

export const SERVICE_HELP: Record<ServiceName, string> = {
  ingest: `turbostream ingest — hold one WebSocket per configured source and append every message to its Redis stream

Usage: turbostream ingest

Reads env.local and the streams file (TURBOSTREAM_STREAMS_FILE, default streams.yaml).
Follows the streams file while running: streams added, removed or with a new
source are opened, closed or reconnected; an invalid edit is refused, logged.
Bad frames (binary, invalid UTF-8, oversized, not JSON) go to the dead-letter stream.

${LIFECYCLE_HELP}`,
  windower: `turbostream windower — cut each Redis stream into windows and enqueue one analysis job per target

Usage: turbostream windower

Run several for failover: each stream has one owner at a time (a lease).
Follows the streams file while running: streams added or removed start or stop
being windowed; new window limits, targets or instructions apply from the next
window on; an invalid edit is refused, logged.

${LIFECYCLE_HELP}`,
  analyzer: `turbostream analyzer — analyse windows with the provider and model each job names, and publish alerts

Usage: turbostream analyzer

Serves every provider configured in env.local (heuristic always). Scale by running more.
ANALYZER_CONCURRENCY sets the jobs in flight per process. Jobs still running at
the shutdown deadline are handed back to the queue for another analyzer.

${LIFECYCLE_HELP}`,
};

export const STACK_HELP = `turbostream stack — run ingest, a windower and N analyzers as separate processes, supervised

Usage: turbostream stack [--analyzers N] [--demo] [--demo-rate N] [--json] [--private-redis] [--redis-port N]

The topology of docker-compose.yml without Docker: one \`turbostream ingest\`,
one \`turbostream windower\` and N \`turbostream analyzer\` processes (instance
ids analyzer-1 … analyzer-N), each an OS process of its own whose output is
prefixed with its name. A process that exits unexpectedly is reported and
restarted after a short backoff. Ctrl-C (or SIGTERM) stops them all: each gets
SIGTERM and SHUTDOWN_TIMEOUT_MS (plus 5 s) to finish its work, then SIGKILL.

Redis is not one of the processes: REDIS_URL, else the default address, else a
private redis-server from PATH, stopped last (as \`turbostream up\`, whose
--private-redis and --redis-port it takes). Without a streams file (or with
--demo) the built-in demo feed runs as a process of its own
(\`turbostream demo-feed\`), analysed by the heuristic provider. Alerts are
printed as they come: standard output carries only them (readable on a
terminal, JSON lines otherwise); the processes' output goes to standard error.

Options:
  --analyzers N    analyzer processes, 1 to 64 (default 2)
  --demo           watch the demo feed even when a streams file exists
  --demo-rate N    trades per second of the demo feed (default 20)
  --json           print alerts as JSON lines, on a terminal too
  --private-redis  use a private redis-server even when a Redis answers at the default address
  --redis-port N   the private redis-server's port (default: the first free one from 6380 to 6389)
  -h, --help`;

export const STREAMS_HELP =
  `turbostream streams — list streams with their targets and status, or switch a ` +
  `stream's model while everything runs

Usage:
  turbostream streams [--json]
  turbostream streams set <id> --provider P [--model M] [--compare P/M[@SHARE] ...] [--no-compare]
  turbostream streams set <id> --reset

set:
  --provider P     the provider from the next window on: one of
                   ${providerChoices()}
  --model M        its model (default: <PROVIDER>_MODEL from this machine's env.local)
  --compare P/M    a comparison target, analysed side by side (repeat for more); default: keep the current ones
                   (with their samples). P/M@0.1 analyses about a tenth of the windows (the same ones on every
                   windower); without @ it analyses every window. The stream's own target analyses every window.
  --no-compare     drop the comparison targets
  --reset          go back to the targets in the streams file
No restart is needed: windowers take the change up within a second.`;

export const UP_HELP = `turbostream up — run ingest, windower and analyzer together in this process

Usage: turbostream up [--json] [--private-redis] [--redis-port N] [--no-dashboard]

Uses REDIS_URL (default redis://127.0.0.1:6379). When REDIS_URL is unset and
nothing answers there, starts a private redis-server from PATH on 127.0.0.1,
port 6380 (else the next free one up to 6389), keeping its data under
.turbostream/redis; it stops last, after the services. Should up be killed,
the private redis-server keeps running and the next up in this directory
reuses it. While up runs, .turbostream/up.json records its Redis and namespace,
so that \`turbostream alerts\`, \`streams\` and \`providers\` run in the same
directory find them with no flags.

Without a streams file it watches the built-in demo feed, analysed by the
built-in heuristic provider. The streams file is followed while up runs:
streams added, removed or changed apply without a restart, and an invalid
edit is refused with every problem, the running streams kept. Standard
output carries only alerts: readable on a terminal, JSON lines otherwise;
everything else goes to standard error.
Alerts are also on the Redis channel turbostream:alerts; the banner prints
the redis-cli line that subscribes to it.

Options:
  --json            print alerts as JSON lines, on a terminal too
  --private-redis   use a private redis-server even when a Redis answers at the default address
  --redis-port N    the private redis-server's port (default: the first free one from 6380 to 6389)
  --no-dashboard    do not serve the dashboard
  -h, --help

It also serves the web dashboard of what it runs (\`turbostream dashboard\`) on
DASHBOARD_HOST:DASHBOARD_PORT (default http://127.0.0.1:7700; the banner prints it);
when that port is taken, or the address needs a DASHBOARD_TOKEN that is not set,
it says so and runs without it.
HEALTH_PORT serves /healthz, /readyz and /metrics (one registry for the three
services). Ctrl-C or SIGTERM stops taking work and lets work in flight finish
within SHUTDOWN_TIMEOUT_MS; a second one stops at once.`;

import { formatProblem, streamsFileName } from '@turbostream/config';
import { loadPriceFile, PriceBook } from '@turbostream/costs';
import { escapeForTerminal, escapeJsonForTerminal } from '@turbostream/logging';
import { ProviderError } from '@turbostream/providers';
import { closeRedis, createKeyLayout } from '@turbostream/redis';
import { AskError, askStream } from '../ask/ask-stream.js';
import { describeContext, describeDone, escapeAnswerForTerminal } from '../ask/format-ask.js';
import { loadConfigOrExit, UsageError } from '../runtime/load.js';
import { commandTarget } from '../runtime/local-instance.js';
import { connectForCommand } from '../runtime/redis-bootstrap.js';

export interface AskOptions {
  stream: string;
  question: string;
  provider?: string;
  model?: string;
  /** @defaultValue DEFAULT_ASK_MAX_TOKENS_IN */
  maxTokensIn?: number;
  json: boolean;
}

/**
 * `turbostream ask <stream> "question"`: the answer on standard output as it
 * streams (escaped for the terminal), what was asked and the call's figures on
 * standard error; with `--json`, every event as one JSON line on standard
 * output. Resolves with the exit code.
 */
export async function ask(options: AskOptions): Promise<number> {
  const config = loadConfigOrExit();
  const where = await commandTarget(config, process.cwd());
  if (where.note) process.stderr.write(`${where.note}\n`);
  const prices = new PriceBook();
  const { problems } = loadPriceFile(prices, config.pricesFile, streamsFileName(config.pricesFile, process.cwd()));
  for (const problem of problems)
    process.stderr.write(`warning: price file not used (built-in prices): ${formatProblem(problem)}\n`);
  const redis = await connectForCommand(where.redis, 'turbostream:ask');
  const out = (text: string) => process.stdout.write(text);
  let target = { provider: '', model: '' };
  let lastChar = '\n';
  try {
    for await (const event of askStream({
      redis,
      keys: createKeyLayout(where.namespace),
      config,
      streamId: options.stream,
      question: options.question,
      provider: options.provider,
      model: options.model,
      maxTokensIn: options.maxTokensIn,
      prices,
    })) {
      if (options.json) {
        out(`${escapeJsonForTerminal(JSON.stringify(event))}\n`);
        continue;
      }
      switch (event.type) {
        case 'context':
          target = event;
          process.stderr.write(`${describeContext(event)}\n`);
          break;
        case 'token':
          out(escapeAnswerForTerminal(event.text));
          lastChar = event.text.at(-1) ?? lastChar;
          break;
        case 'done':
          if (lastChar !== '\n') out('\n');
          process.stderr.write(`${describeDone(event, target)}\n`);
          break;
      }
    }
    return 0;
  } catch (error) {
    if (error instanceof AskError) throw new UsageError(error.message, error.code === 'no-messages' ? 1 : 2);
    if (lastChar !== '\n') out('\n');
    if (!ProviderError.isInstance(error)) throw error;
    const status = error.statusCode ? ` ${error.statusCode}` : '';
    // A provider's message can quote the model: shown escaped.
    process.stderr.write(`ask failed (${error.kind}${status}): ${escapeForTerminal(error.message)}\n`);
    return 1;
  } finally {
    await closeRedis(redis);
  }
}

import { redactSecrets } from '@turbostream/contracts';
import { pino } from 'pino';

/**
 * pino's `err` serializer, with the secrets taken out: the error as pino
 * shows it (type, message, stack, causes, its own fields), then with the
 * credentials among a Redis command's arguments (the password of a refused
 * `AUTH`, which ioredis attaches to its error), URL credentials in any text
 * and fields named like secrets (`password`…) masked as `****`. Any error
 * logged as `{ err }` goes through it, whatever library made it.
 */
export function serializeError(err: unknown): unknown {
  return redactSecrets(err instanceof Error ? pino.stdSerializers.err(err) : err);
}

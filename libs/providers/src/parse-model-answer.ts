import { ModelAnswer, type ProviderId } from '@turbostream/contracts';
import { ProviderError } from './errors/provider-error.js';
import type { AnalysisUsage } from './provider.js';
import { safeParseJSON } from './safe-parse-json.js';

const EXCERPT_LENGTH = 200;

/** The start of a model's output, on one line, for error messages. */
export function excerpt(text: string, length = EXCERPT_LENGTH): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= length ? flat : `${flat.slice(0, length - 1)}…`;
}

/**
 * Validates what a model wrote against {@link ModelAnswer}. Anything else is
 * a `ProviderError` of kind `invalid-output` carrying a short excerpt.
 */
/**
 * `usage`, when given, rides on the error so that a repair attempt can count
 * the tokens of the failed call.
 */
export function parseModelAnswer(provider: ProviderId, text: string, context = '', usage?: AnalysisUsage): ModelAnswer {
  const suffix = context ? ` (${context})` : '';
  const json = safeParseJSON(text);
  if (!json.success) {
    throw new ProviderError({
      provider,
      kind: 'invalid-output',
      message: `${provider} answered with text that is not JSON${suffix}: ${JSON.stringify(excerpt(text))}`,
      output: text,
      ...(usage ? { usage } : {}),
    });
  }
  const answer = ModelAnswer.safeParse(json.value);
  if (!answer.success) {
    const issue = answer.error.issues[0];
    const where = issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'invalid';
    throw new ProviderError({
      provider,
      kind: 'invalid-output',
      message:
        `${provider} answered with JSON that is not a valid answer ` +
        `(${where})${suffix}: ${JSON.stringify(excerpt(text))}`,
      output: text,
      ...(usage ? { usage } : {}),
    });
  }
  return answer.data;
}

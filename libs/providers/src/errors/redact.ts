/** Shapes that look like credentials wherever they come from: bearer tokens and `sk-…` style keys. */
const CREDENTIAL_PATTERNS: readonly RegExp[] = [
  /Bearer\s+[^\s"',]+/gi,
  /\bsk-[A-Za-z0-9_*-]{8,}/g,
  /\bxai-[A-Za-z0-9_-]{8,}/g,
  /\bAIza[A-Za-z0-9_-]{20,}/g,
];

/**
 * Removes secrets from text meant for messages and logs: every exact secret
 * given, and anything shaped like an API key. Secrets shorter than 4
 * characters are ignored (they would blank out ordinary words).
 */
export function redactSecrets(text: string, secrets: readonly (string | undefined)[] = []): string {
  let result = text;
  for (const secret of secrets) {
    if (secret && secret.length >= 4) result = result.split(secret).join('[redacted]');
  }
  for (const pattern of CREDENTIAL_PATTERNS) result = result.replace(pattern, '[redacted]');
  return result;
}

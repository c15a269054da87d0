/** Every spelling of a secret that would give it away: as is, URL-encoded, base64, hex and as a Buffer's JSON bytes. */
export function spellingsOf(secret: string): string[] {
  const bytes = Buffer.from(secret);
  return [
    ...new Set([
      secret,
      encodeURIComponent(secret),
      bytes.toString('base64'),
      bytes.toString('base64url'),
      bytes.toString('hex'),
      bytes.toJSON().data.join(','),
    ]),
  ];
}

/** How many times any spelling of `secret` occurs in `text`. */
export function secretOccurrences(text: string, secret: string): number {
  return spellingsOf(secret).reduce((count, spelling) => count + text.split(spelling).length - 1, 0);
}

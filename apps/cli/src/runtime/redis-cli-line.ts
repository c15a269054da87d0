const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

/** A `redis-cli` command line, and what the user must add to it (a password is never printed). */
export interface RedisCliLine {
  command: string;
  /** Set when the URL has a password: it is shown as `-a ****`, to be replaced. */
  note?: string;
}

const quote = (word: string) => (/^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`);

/**
 * The `redis-cli` command that subscribes to `channel` on the Redis at `url`:
 * `-h` only for a host other than this machine, `-p` only for a port other
 * than 6379, `--tls` for `rediss://`, `--user` for a user name; a password
 * appears as `-a ****`, never in clear.
 */
export function redisCliSubscribe(url: string, channel: string): RedisCliLine {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { command: `redis-cli SUBSCRIBE ${quote(channel)}` };
  }
  const words = ['redis-cli'];
  if (parsed.hostname && !LOCAL_HOSTS.has(parsed.hostname))
    words.push('-h', parsed.hostname.replace(/^\[(.*)\]$/, '$1'));
  if (parsed.port && parsed.port !== '6379') words.push('-p', parsed.port);
  if (parsed.protocol === 'rediss:') words.push('--tls');
  if (parsed.username && parsed.username !== 'default') words.push('--user', decodeURIComponent(parsed.username));
  if (parsed.password) words.push('-a', '****');
  words.push('SUBSCRIBE', channel);
  // `****` stands for the password, to be typed in: left unquoted.
  const command = words.map((word) => (word === '****' ? word : quote(word))).join(' ');
  return parsed.password ? { command, note: 'replace **** with the password in REDIS_URL' } : { command };
}

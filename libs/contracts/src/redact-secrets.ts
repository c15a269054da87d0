/**
 * Secrets out of everything printed or logged: URL credentials in any text,
 * the arguments of Redis commands that carry credentials, and fields named
 * like secrets. `redactUrl` (one URL to show) is the stricter sibling.
 */

/** What a secret is shown as. */
export const REDACTED = '****';

/**
 * `scheme://`, where a URL starts: at the start of a word, and short, so that
 * looking for it costs a bounded amount per character of a long text.
 */
const SCHEME = String.raw`\b[a-z][a-z0-9+.\-]{0,31}:\/\/`;

/**
 * A URL's userinfo in a text: from `scheme://` up to the last `@` before
 * white space, a quote or the next URL. It may run over `/`, `?` or `#`: a
 * password with one of them unencoded still ends at the `@`. An empty
 * authority (`file:///…/node_modules/@scope/…` in a stack trace) has none.
 */
const URL_USERINFO = new RegExp(`(${SCHEME})((?!/)(?:(?!${SCHEME})[^\\s"'\`<>])*)@`, 'gi');

/**
 * `user:password@host` written without a scheme (`REDIS_URL=user:pw@host:6379`),
 * at the start of a word; bounded lengths keep a long text linear to scan.
 */
const BARE_USERINFO = /(^|[\s"'`<>,=(])([^\s"'`<>,=(/@:]{0,64}):([^\s"'`<>,@/]{1,512})@(?=[\w.[\]-])/g;

/** `user:****`, or `****` when the userinfo is a bare token (or not a user name at all). */
function maskUserinfo(userinfo: string): string {
  const colon = userinfo.indexOf(':');
  const user = colon === -1 ? '' : userinfo.slice(0, colon);
  if (colon === -1 || /[/?#]/.test(user)) return REDACTED;
  return `${user}:${REDACTED}`;
}

/**
 * Masks the credentials of every URL in a text: `redis://app:s3cret@db:6379`
 * becomes `redis://app:****@db:6379`, `https://token@host` becomes
 * `https://****@host`, and so does `app:s3cret@db:6379` without a scheme. The
 * rest of the text, query strings included, stays as it is.
 */
export function redactUrlCredentials(text: string): string {
  if (!text.includes('@')) return text;
  return text
    .replace(URL_USERINFO, (match: string, scheme: string, userinfo: string) =>
      userinfo === '' ? match : `${scheme}${maskUserinfo(userinfo)}@`,
    )
    .replace(BARE_USERINFO, (_match: string, lead: string, user: string) => `${lead}${user}:${REDACTED}@`);
}

/** After which argument (lower case) how many arguments are credentials, by command. */
const CREDENTIALS_AFTER: Readonly<Record<string, Readonly<Record<string, number>>>> = {
  hello: { auth: 2 },
  migrate: { auth: 1, auth2: 2 },
};

/** Commands whose every argument after the first (the subcommand) may be a credential. */
const CREDENTIALS_AFTER_SUBCOMMAND = new Set(['acl', 'config']);

/**
 * True for the Redis commands whose arguments can carry credentials (`AUTH`, `HELLO … AUTH`, `MIGRATE … AUTH`, `ACL`,
 * `CONFIG`).
 */
export function carriesCredentials(commandName: string): boolean {
  const name = commandName.toLowerCase();
  return name === 'auth' || name in CREDENTIALS_AFTER || CREDENTIALS_AFTER_SUBCOMMAND.has(name);
}

/** The text of a command argument, for matching keywords such as `AUTH`. */
function argumentText(arg: unknown): string {
  if (typeof arg === 'string') return arg.toLowerCase();
  if (arg instanceof Uint8Array) return new TextDecoder().decode(arg).toLowerCase();
  return '';
}

/** `args` with the `count` arguments after each keyword of `keywords` masked. */
function maskAfterKeywords(args: readonly unknown[], keywords: Readonly<Record<string, number>>): unknown[] {
  const masked = [...args];
  for (let index = 0; index < masked.length; index += 1) {
    const count = keywords[argumentText(masked[index])];
    if (count === undefined) continue;
    for (let offset = 1; offset <= count && index + offset < masked.length; offset += 1)
      masked[index + offset] = REDACTED;
    index += count;
  }
  return masked;
}

/**
 * A copy of a Redis command's arguments with the credentials masked: all of
 * `AUTH`'s, those after `AUTH` in `HELLO` and `MIGRATE` (and `AUTH2`), all
 * but the subcommand of `ACL` and `CONFIG`. Other commands' arguments are
 * copied as they are.
 */
export function redactCommandArgs(commandName: string, args: readonly unknown[]): unknown[] {
  const name = commandName.toLowerCase();
  if (name === 'auth') return args.map(() => REDACTED);
  if (CREDENTIALS_AFTER_SUBCOMMAND.has(name)) return args.map((arg, index) => (index === 0 ? arg : REDACTED));
  const keywords = CREDENTIALS_AFTER[name];
  return keywords ? maskAfterKeywords(args, keywords) : [...args];
}

/** A command as ioredis attaches it to the error of a reply: `{ name, args }`. */
interface CommandLike {
  name: string;
  args: readonly unknown[];
}

function isCommandLike(value: unknown): value is CommandLike {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { name?: unknown }).name === 'string' &&
    Array.isArray((value as { args?: unknown }).args)
  );
}

/** `command` with the credentials among its arguments masked. */
function redactCommand(command: CommandLike): CommandLike {
  return { name: command.name, args: redactCommandArgs(command.name, command.args) };
}

/**
 * Field names whose text or bytes are secrets wherever they appear (`password`, `sentinelPassword`, `apiKey`,
 * `authorization`…).
 */
const SECRET_FIELD = /pass(word|wd)?$|secret|api[-_]?key|authorization|^token$|^auth$/i;

/** How deep `redactSecrets` goes before it stops copying. */
const MAX_DEPTH = 10;

/** The fields of an error worth showing: its type, message and stack, its own fields and its cause. */
function errorFields(error: Error): Array<[string, unknown]> {
  const fields: Array<[string, unknown]> = [
    ['type', error.name],
    ['message', error.message],
    ['stack', error.stack],
  ];
  for (const [key, field] of Object.entries(error)) if (key !== 'message' && key !== 'stack') fields.push([key, field]);
  // A cause given to the constructor is not enumerable.
  if (error.cause !== undefined && !Object.prototype.propertyIsEnumerable.call(error, 'cause'))
    fields.push(['cause', error.cause]);
  return fields;
}

/**
 * The fields of a non-array object: an error's as {@link errorFields} lists them, anything else's own enumerable ones.
 */
function fieldsOf(value: object): Array<[string, unknown]> {
  return value instanceof Error ? errorFields(value) : Object.entries(value);
}

/** One field's value, redacted by its name and then by its content. */
function redactField(key: string, field: unknown, ancestors: Set<object>, depth: number): unknown {
  if (SECRET_FIELD.test(key) && (typeof field === 'string' || field instanceof Uint8Array) && field.length > 0)
    return REDACTED;
  if (key === 'command' && isCommandLike(field)) return redactValue(redactCommand(field), ancestors, depth);
  return redactValue(field, ancestors, depth);
}

function redactValue(value: unknown, ancestors: Set<object>, depth: number): unknown {
  if (typeof value === 'string') return redactUrlCredentials(value);
  if (typeof value !== 'object' || value === null || value instanceof Uint8Array || value instanceof Date) return value;
  if (ancestors.has(value)) return '[Circular]';
  if (depth >= MAX_DEPTH) return '[…]';
  ancestors.add(value);
  try {
    if (Array.isArray(value)) return value.map((item) => redactValue(item, ancestors, depth + 1));
    return Object.fromEntries(
      fieldsOf(value).map(([key, field]) => [key, redactField(key, field, ancestors, depth + 1)]),
    );
  } finally {
    ancestors.delete(value);
  }
}

/**
 * A copy of a value, for a log line or a message, with every secret it
 * carries masked: URL credentials in any text, the credentials among the
 * arguments of a Redis `command` (`{ name, args }`, as ioredis attaches it to
 * a reply error), and the values of fields named like secrets (`password`,
 * `apiKey`…). Errors become plain objects (`type`, `message`, `stack`, their
 * own fields, `cause`); cycles become `[Circular]`. The value itself is not changed.
 */
export function redactSecrets(value: unknown): unknown {
  return redactValue(value, new Set(), 0);
}

/**
 * The errors an error wraps: its cause, a cluster's last node error, a pipeline's previous errors, an aggregate's
 * errors.
 */
function wrappedErrors(error: Error): Error[] {
  const record = error as unknown as Record<string, unknown>;
  const candidates = [
    error.cause,
    record.lastNodeError,
    ...[record.previousErrors, record.errors].flatMap((list) => (Array.isArray(list) ? list : [])),
  ];
  return candidates.filter((candidate): candidate is Error => candidate instanceof Error);
}

/** Sets a field when it can be set (an error may be frozen, or a field read-only). */
function setField(target: object, key: string, value: unknown): void {
  try {
    Reflect.set(target, key, value);
  } catch {
    // left as it was: nothing more can be done here
  }
}

/** Scrubs one error's own fields: its message and stack, its text fields, its `command`. */
function scrubOwnFields(error: Error): void {
  if (typeof error.message === 'string' && error.message.includes('@'))
    setField(error, 'message', redactUrlCredentials(error.message));
  if (typeof error.stack === 'string' && error.stack.includes('@'))
    setField(error, 'stack', redactUrlCredentials(error.stack));
  for (const [key, field] of Object.entries(error)) {
    if (typeof field === 'string')
      setField(error, key, SECRET_FIELD.test(key) && field.length > 0 ? REDACTED : redactUrlCredentials(field));
    else if (key === 'command' && isCommandLike(field) && carriesCredentials(field.name))
      setField(error, key, redactCommand(field));
  }
}

/**
 * Removes the secrets from an error in place, so that whatever prints it
 * later — a log line, `err.message`, Node's report of an unhandled rejection
 * — cannot show them: URL credentials in its message, stack and text fields,
 * the credentials among the arguments of its Redis `command` (`AUTH`'s
 * password, which ioredis attaches to the reply error), and the same in the
 * errors it wraps. Objects that are not errors are left alone. Returns the error.
 */
export function scrubError<T>(error: T): T {
  const pending: unknown[] = [error];
  const done = new Set<Error>();
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    if (!(next instanceof Error) || done.has(next)) continue;
    done.add(next);
    scrubOwnFields(next);
    pending.push(...wrappedErrors(next));
  }
  return error;
}

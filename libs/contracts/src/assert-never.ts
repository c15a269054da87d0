/** The `default` of an exhaustive `switch`: a compile error when a case is missing, a TypeError if reached anyway. */
export function assertNever(value: never, what = 'value'): never {
  throw new TypeError(`unexpected ${what}: ${JSON.stringify(value)}`);
}

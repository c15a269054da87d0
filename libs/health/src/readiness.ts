/**
 * One readiness condition. It passes when it returns or resolves, and fails
 * with its message when it throws, rejects, or does not settle in time.
 */
export type ReadinessCheck = () => unknown;

/** What `/readyz` answers: each check's outcome (`ok` or why not) and the names of the failing ones. */
export interface ReadinessReport {
  status: 'ready' | 'not ready';
  /** The checks that failed, in the order they were given. */
  failing: string[];
  /** `ok`, or the reason the check failed. */
  checks: Record<string, string>;
}

/**
 * Runs one check: `undefined` when it passed, else the reason (a throw, a rejection, or silence beyond `timeoutMs`).
 */
export async function runCheck(check: ReadinessCheck, timeoutMs: number): Promise<string | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`no answer within ${timeoutMs} ms`), timeoutMs);
  });
  try {
    return await Promise.race([
      Promise.resolve()
        .then(check)
        .then(() => undefined),
      timeout,
    ]);
  } catch (error) {
    return (error instanceof Error ? error.message : String(error)) || 'failed';
  } finally {
    clearTimeout(timer);
  }
}

/** Runs every check at once; ready only when all pass. */
export async function evaluateReadiness(
  checks: ReadonlyMap<string, ReadinessCheck>,
  timeoutMs: number,
): Promise<ReadinessReport> {
  const entries = [...checks.entries()];
  const reasons = await Promise.all(entries.map(([, check]) => runCheck(check, timeoutMs)));
  const report: ReadinessReport = { status: 'ready', failing: [], checks: {} };
  entries.forEach(([name], index) => {
    const reason = reasons[index];
    report.checks[name] = reason ?? 'ok';
    if (reason !== undefined) report.failing.push(name);
  });
  if (report.failing.length > 0) report.status = 'not ready';
  return report;
}

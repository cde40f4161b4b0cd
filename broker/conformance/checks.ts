// What a conformance run records: one result per named check (PASS, FAIL or SKIP with the reason), and
// the helper every check group uses so that an exception fails that check alone, never the whole run.

export type CheckStatus = 'pass' | 'fail' | 'skip';

export interface CheckResult {
  /** Stable dotted name, e.g. `pkce.missing-challenge`: scripts and tests match on it. */
  name: string;
  status: CheckStatus;
  /** What was observed (pass), what went wrong (fail) or why it did not run (skip). */
  detail: string;
}

/** A check that does not hold: its message is the FAIL line's detail. */
export class CheckFailure extends Error {
  override name = 'CheckFailure';
}

/** A check that cannot run here (a missing option, an earlier step that failed). */
export class CheckSkipped extends Error {
  override name = 'CheckSkipped';
}

export function expect(condition: unknown, message: string): asserts condition {
  if (!condition) throw new CheckFailure(message);
}

export function skip(reason: string): never {
  throw new CheckSkipped(reason);
}

export class CheckRecorder {
  readonly results: CheckResult[] = [];
  readonly #onResult: (result: CheckResult) => void;

  constructor(onResult: (result: CheckResult) => void = () => {}) {
    this.#onResult = onResult;
  }

  record(name: string, status: CheckStatus, detail: string): void {
    const result = { name, status, detail };
    this.results.push(result);
    this.#onResult(result);
  }

  /**
   * Runs one check; `work` returns the PASS detail. Returns whether it passed, so that a later check
   * depending on it can skip instead of failing for the same cause twice.
   */
  async check(name: string, work: () => Promise<string> | string): Promise<boolean> {
    try {
      this.record(name, 'pass', await work());
      return true;
    } catch (error) {
      if (error instanceof CheckSkipped) this.record(name, 'skip', error.message);
      else this.record(name, 'fail', describeFailure(error));
      return false;
    }
  }

  skip(name: string, reason: string): void {
    this.record(name, 'skip', reason);
  }

  get failed(): number {
    return this.results.filter((result) => result.status === 'fail').length;
  }
}

/** One line for an unexpected error: OAuth errors by their code, network errors by their cause. */
export function describeFailure(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const oauth = error as Error & { error?: unknown; error_description?: unknown };
  if (typeof oauth.error === 'string') {
    const description = typeof oauth.error_description === 'string' ? ` (${oauth.error_description})` : '';
    return `${oauth.error}${description}`;
  }
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${error.message}${cause}`.split('\n')[0]?.slice(0, 300) ?? error.name;
}

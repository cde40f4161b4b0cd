// Runs one operation from N concurrent workers for a fixed time, with a progress bar: each worker
// starts a new operation while time is left, then the phase waits for those in flight. Latency is
// measured per operation; a failed operation counts as an error with its message kept.
import { performance } from 'node:perf_hooks';
import cliProgress from 'cli-progress';

export interface LoadResult {
  completed: number;
  errors: number;
  /** Up to five distinct error messages, each with how often it happened. */
  errorSamples: Array<{ message: string; count: number }>;
  wallSeconds: number;
  latenciesMs: number[];
}

export async function runLoad(options: {
  label: string;
  concurrency: number;
  seconds: number;
  /** Aborted (Ctrl-C): no new operation starts. */
  signal: AbortSignal;
  /** One operation for worker `worker`; its `index` counts operations across workers. */
  operation: (worker: number, index: number) => Promise<void>;
}): Promise<LoadResult> {
  const { concurrency, seconds, operation } = options;
  const latenciesMs: number[] = [];
  const messages = new Map<string, number>();
  let errors = 0;
  let started = 0;
  const bar = new cliProgress.SingleBar(
    {
      format: `${options.label.padEnd(26)} {bar} {value}/{total} s | {done} done | {errors} errors`,
      hideCursor: true,
      clearOnComplete: false,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(Math.ceil(seconds), 0, { done: 0, errors: 0 });
  const began = performance.now();
  const endAt = began + seconds * 1000;
  const ticker = setInterval(() => {
    const elapsed = Math.min(Math.ceil(seconds), Math.floor((performance.now() - began) / 1000));
    bar.update(elapsed, { done: latenciesMs.length, errors });
  }, 250);
  try {
    await Promise.all(
      Array.from({ length: concurrency }, async (_unused, worker) => {
        while (performance.now() < endAt && !options.signal.aborted) {
          const index = started++;
          const operationBegan = performance.now();
          try {
            await operation(worker, index);
            latenciesMs.push(performance.now() - operationBegan);
          } catch (error) {
            errors += 1;
            const message = error instanceof Error ? error.message : String(error);
            if (messages.has(message) || messages.size < 5)
              messages.set(message, (messages.get(message) ?? 0) + 1);
          }
        }
      }),
    );
  } finally {
    clearInterval(ticker);
    bar.update(Math.ceil(seconds), { done: latenciesMs.length, errors });
    bar.stop();
  }
  return {
    completed: latenciesMs.length,
    errors,
    errorSamples: [...messages].map(([message, count]) => ({ message, count })),
    wallSeconds: (performance.now() - began) / 1000,
    latenciesMs,
  };
}

/** Nearest-rank percentile of `samples` (milliseconds); null when there are none. */
export function percentile(samples: readonly number[], quantile: number): number | null {
  if (samples.length === 0) return null;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil(quantile * sorted.length));
  return sorted[rank - 1] ?? null;
}

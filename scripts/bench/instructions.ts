// Instructions a process executes over a phase, counted by Linux's `perf stat` (package linux-perf)
// attached to its pid. CPU-ms on a shared machine move with what else runs (caches, frequency, steal);
// the number of instructions for the same work moves far less, so the ratio of two services'
// instructions per sign-in is the steadier comparison. Where perf is missing or the kernel does not
// let it count, every figure is null and the report says n/a.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { setTimeout as delay } from 'node:timers/promises';

let available: boolean | undefined;

/** Whether `perf stat` can count instructions here (asked once). */
export function instructionsCountable(): boolean {
  available ??= (() => {
    const probe = spawnSync('perf', ['stat', '-x', ',', '-e', 'instructions', 'true'], {
      encoding: 'utf8',
      timeout: 10_000,
    });
    return probe.status === 0 && parseInstructions(probe.stderr ?? '') !== null;
  })();
  return available;
}

/** The count from perf's CSV line `<count>,,instructions,…`; null for "<not supported>" and the like. */
export function parseInstructions(output: string): number | null {
  for (const line of output.split('\n')) {
    const fields = line.split(',');
    if (fields[2]?.startsWith('instructions')) {
      const count = Number(fields[0]);
      return Number.isFinite(count) && count > 0 ? count : null;
    }
  }
  return null;
}

export interface InstructionCount {
  /** Stops counting; the instructions since start, or null when they could not be counted. */
  stop(): Promise<number | null>;
}

/** Starts counting the instructions of `pid` (all its threads). */
export async function countInstructions(pid: number): Promise<InstructionCount> {
  if (!instructionsCountable()) return { stop: async () => null };
  const perf: ChildProcess = spawn('perf', ['stat', '-x', ',', '-e', 'instructions', '-p', String(pid)], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let report = '';
  perf.stderr?.on('data', (chunk: Buffer) => {
    report += chunk;
  });
  const exited = new Promise<void>((resolve) => {
    perf.once('exit', () => resolve());
    perf.once('error', () => resolve());
  });
  // perf attaches within a few milliseconds; what the process does meanwhile is not counted.
  await delay(100);
  return {
    async stop() {
      if (perf.exitCode === null && perf.signalCode === null) perf.kill('SIGINT');
      await exited;
      return parseInstructions(report);
    },
  };
}

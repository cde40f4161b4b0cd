// Waiting for a child service started with an IPC channel to say it is listening (announceListening
// in shared/http/serve.ts). Polling its port instead could be answered by another program already on
// that port while the child itself failed to bind. Used by `npm start` and `npm run bench`.
import type { ChildProcess } from 'node:child_process';

/**
 * Resolves when `child` announces it is listening; rejects if it exits first, if `signal` aborts
 * ("interrupted"), or after `timeoutMs`.
 */
export function untilListening(
  child: ChildProcess,
  options: { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<void> {
  const { timeoutMs = 60_000, signal } = options;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => finish(new Error(`not listening within ${Math.round(timeoutMs / 1000)} s`)),
      timeoutMs,
    );
    const onMessage = (message: unknown) => {
      if (typeof message === 'object' && message !== null && 'listening' in message) finish();
    };
    const onExit = (code: number | null, exitSignal: NodeJS.Signals | null) =>
      finish(new Error(`exited (${exitSignal ?? `code ${code}`})`));
    const onAbort = () => finish(new Error('interrupted'));
    function finish(error?: Error) {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      signal?.removeEventListener('abort', onAbort);
      if (error) reject(error);
      else resolve();
    }
    child.on('message', onMessage);
    child.once('exit', onExit);
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
  });
}

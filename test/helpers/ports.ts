// Child processes in tests: a free loopback port for a service to bind (or for a URI that must be
// registered before the server behind it starts), and waiting for a line of its output.
import type { ChildProcess } from 'node:child_process';

export { freePort } from '../../scripts/freePort.ts';

/**
 * Resolves once `output.text` (which the caller fills from the child's stdout and stderr) matches
 * `pattern`; rejects if the child exits first or after 60 s, with what it printed.
 */
export function waitForOutput(child: ChildProcess, pattern: RegExp, output: { text: string }): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${pattern} within 60 s:\n${output.text}`)), 60_000);
    const check = () => {
      if (!pattern.test(output.text)) return;
      clearTimeout(timer);
      resolve();
    };
    child.stdout?.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before ${pattern}:\n${output.text}`));
    });
  });
}

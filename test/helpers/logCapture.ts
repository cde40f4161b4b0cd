// Collects the services' log lines in memory, for tests that read what was logged.
import { Writable } from 'node:stream';

export function captureLogs(): { destination: Writable; lines: string[] } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  return { destination, lines };
}

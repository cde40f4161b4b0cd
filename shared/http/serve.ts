// Listening and stopping, shared by every service's main.ts: stop accepting on SIGINT/SIGTERM, let
// requests in flight finish (a sign-in waiting on NHSmail completes), close the database, then exit,
// all bounded by a timeout.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../logger.ts';

export async function listen(
  handler: http.RequestListener,
  port: number,
  host = '0.0.0.0',
): Promise<http.Server> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return server;
}

export function portOf(server: http.Server): number {
  return (server.address() as AddressInfo).port;
}

/**
 * Tells a parent that started this service with an IPC channel (`npm start`) that the server is
 * listening, then lets the channel go. Without it the parent could only poll the port, and a
 * different server already on that port would answer for a service that failed to bind.
 */
export function announceListening(server: http.Server): void {
  if (!process.send) return;
  process.send({ listening: portOf(server) }, () => process.disconnect?.());
}

/**
 * Stops accepting connections and resolves once the requests in flight have been answered. Keep-alive
 * connections are closed as soon as they fall idle; after `graceMs` whatever is left is cut, so that a
 * stuck client cannot hold the shutdown open.
 */
export function closeServer(server: http.Server, graceMs = 10_000): Promise<void> {
  return new Promise((resolve) => {
    const idle = setInterval(() => server.closeIdleConnections(), 250);
    const cut = setTimeout(() => server.closeAllConnections(), graceMs);
    server.close(() => {
      clearInterval(idle);
      clearTimeout(cut);
      resolve();
    });
    server.closeIdleConnections();
  });
}

/**
 * SIGTERM (an orchestrator) or SIGINT (Ctrl-C): `stop` closes the server (letting requests in flight
 * finish) and then the database; the process exits 0, or 1 if stopping failed or overran `timeoutMs`.
 */
export function stopOnSignals(logger: Logger, stop: () => Promise<void>, timeoutMs = 15_000): void {
  let stopping = false;
  const handle = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping: finishing requests in flight');
    const force = setTimeout(() => {
      logger.error({ timeoutMs }, 'stopping took too long; exiting');
      process.exit(1);
    }, timeoutMs);
    force.unref();
    stop().then(
      () => {
        logger.info('stopped');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'error while stopping');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', handle);
  process.on('SIGTERM', handle);
}

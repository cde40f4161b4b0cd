// A port for a child process to bind, chosen before it starts (its URL has to be known first: an
// issuer, a registered redirect URI). Chosen below the kernel's ephemeral range, so that neither an
// outgoing connection nor a server binding port 0 can take it between the check and the bind; the
// kernel only hands out ports inside that range.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomInt } from 'node:crypto';

const lowestChoice = 10_000;

/** The first port of the kernel's ephemeral range (Linux), or IANA's 49152 where it cannot be read. */
function ephemeralLow(): number {
  try {
    const [low] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/);
    const value = Number(low);
    return Number.isInteger(value) && value > 0 ? value : 49_152;
  } catch {
    return 49_152;
  }
}

/** Binds `port` (0: any) on every IPv4 address and releases it; the port it got, or null if taken. */
function tryBind(port: number): Promise<number | null> {
  const server = http.createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(null));
    server.listen(port, '0.0.0.0', () => {
      const bound = (server.address() as AddressInfo).port;
      server.close(() => resolve(bound));
    });
  });
}

let low: number | undefined;

export async function freePort(): Promise<number> {
  low ??= ephemeralLow();
  if (low > lowestChoice + 1000) {
    for (let attempt = 0; attempt < 50; attempt += 1) {
      const port = await tryBind(randomInt(lowestChoice, low));
      if (port !== null) return port;
    }
  }
  // No room below the ephemeral range: let the kernel pick.
  const port = await tryBind(0);
  if (port === null) throw new Error('no free port');
  return port;
}

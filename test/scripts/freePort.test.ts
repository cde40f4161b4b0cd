// The ports handed to child services lie outside the kernel's ephemeral range, where an outgoing
// connection or another server binding port 0 cannot take them first, and are free to bind.
import { readFile } from 'node:fs/promises';
import test from 'ava';
import { freePort } from '../../scripts/freePort.ts';
import { closeServer, listen, portOf } from '../../shared/http/serve.ts';

test('freePort gives bindable ports below the ephemeral range', async (t) => {
  const range = await readFile('/proc/sys/net/ipv4/ip_local_port_range', 'utf8');
  const low = Number(range.trim().split(/\s+/)[0]);
  const ports = await Promise.all(Array.from({ length: 20 }, () => freePort()));
  for (const port of ports) {
    t.true(port >= 10_000 && port < low, `${port} is below ${low}`);
  }
  const servers = await Promise.all([...new Set(ports)].map((port) => listen(() => {}, port, '127.0.0.1')));
  t.deepEqual(servers.map(portOf), [...new Set(ports)]);
  await Promise.all(servers.map((server) => closeServer(server)));
});

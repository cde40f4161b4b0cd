// Starts the bare pair of the floor as child processes on free 127.0.0.1 ports, as services.ts starts
// the real services: the bare upstream first, then the bare broker, which discovers it. Their output
// goes to the same services log.
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import path from 'node:path';
import { seededPassword } from '../../../seeds/personas.ts';
import { personas } from '../phases.ts';
import { freePort } from '../../freePort.ts';
import { launch, stopChild } from '../services.ts';
import { type BrokerClient, seededClient } from '../signIn.ts';

export type FloorServiceName = 'bare-broker' | 'bare-upstream';

export interface FloorProcess {
  name: FloorServiceName;
  url: string;
  pid: number;
  startupMs: number;
}

export interface Floor {
  broker: FloorProcess;
  upstream: FloorProcess;
  /** The benchmark's client at the bare broker: the seeded `cqrs-app` id, secret and callback path. */
  client: BrokerClient;
  stop(): Promise<void>;
}

export async function startFloor(options: {
  root: string;
  logFile: string;
  signal: AbortSignal;
}): Promise<Floor> {
  const [upstreamPort, brokerPort, appPort] = [await freePort(), await freePort(), await freePort()];
  const upstreamUrl = `http://127.0.0.1:${upstreamPort}`;
  const brokerUrl = `http://127.0.0.1:${brokerPort}`;
  // Nothing listens at the client's redirect URI: the browser stops there and the bench reads it.
  const client = seededClient(brokerUrl, `http://127.0.0.1:${appPort}`);
  const upstreamSecret = randomBytes(24).toString('base64url');
  const common = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' };
  const plans: Array<{ name: FloorServiceName; script: string; url: string; env: Record<string, string> }> = [
    {
      name: 'bare-upstream',
      script: 'upstream.ts',
      url: upstreamUrl,
      env: {
        FLOOR_PORT: String(upstreamPort),
        FLOOR_ISSUER: upstreamUrl,
        FLOOR_CLIENT_ID: 'bare-broker',
        FLOOR_CLIENT_SECRET: upstreamSecret,
        FLOOR_REDIRECT_URI: `${brokerUrl}/callback`,
        FLOOR_USERS: personas.join(','),
        FLOOR_PASSWORD: seededPassword,
      },
    },
    {
      name: 'bare-broker',
      script: 'broker.ts',
      url: brokerUrl,
      env: {
        FLOOR_PORT: String(brokerPort),
        FLOOR_ISSUER: brokerUrl,
        FLOOR_CLIENT_ID: client.clientId,
        FLOOR_CLIENT_SECRET: client.secret,
        FLOOR_REDIRECT_URI: client.redirectUri,
        FLOOR_UPSTREAM_ISSUER: upstreamUrl,
        FLOOR_UPSTREAM_CLIENT_ID: 'bare-broker',
        FLOOR_UPSTREAM_CLIENT_SECRET: upstreamSecret,
      },
    },
  ];

  const log = createWriteStream(options.logFile, { flags: 'a' });
  const children: ChildProcess[] = [];
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      await Promise.all(children.map(stopChild));
      await new Promise((resolve) => log.end(resolve));
    })());
  const started: FloorProcess[] = [];
  try {
    for (const plan of plans) {
      const { pid, startupMs } = await launch(
        {
          name: plan.name,
          script: path.join(import.meta.dirname, plan.script),
          url: plan.url,
          env: { ...common, ...plan.env },
          nodeFlags: [],
          cwd: options.root,
          log,
          signal: options.signal,
          probePath: '/.well-known/openid-configuration',
        },
        children,
      );
      started.push({ name: plan.name, url: plan.url, pid, startupMs });
    }
  } catch (error) {
    await stop();
    throw error;
  }
  const [upstream, broker] = started as [FloorProcess, FloorProcess];
  return { broker, upstream, client, stop };
}

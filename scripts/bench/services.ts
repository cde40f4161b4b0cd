// Starts the three services as `npm start` does — one `node <service>/main.ts` child each — on free
// ports and a scratch data folder, times how long each takes to answer, and stops them. The bench
// reaches them on 127.0.0.1 only (each main.ts listens as in production, on every interface).
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { mockTenantId } from '../../seeds/personas.ts';
import { freePort } from '../freePort.ts';
import { untilListening } from '../untilListening.ts';
import type { ServiceName } from './options.ts';

export interface RunningService {
  name: ServiceName;
  url: string;
  pid: number;
  /** From spawn to the first successful answer, migrations and seeding of a fresh database included. */
  startupMs: number;
}

export interface Services {
  mock: RunningService;
  broker: RunningService;
  app: RunningService;
  all: RunningService[];
  /** The mock's issuer, as the broker is told. */
  upstreamIssuer: string;
  stop(): Promise<void>;
}

export interface ServiceOptions {
  root: string;
  dataDir: string;
  metricsToken: string;
  /** The broker's PostgreSQL, with the schema made for this run. */
  brokerDatabase: { url: string; schema: string } | undefined;
  /** Extra node flags per service (the CPU profiler). */
  nodeFlags: Partial<Record<ServiceName, string[]>>;
  /** Where the services' own log lines go. */
  logFile: string;
  /** Aborted (Ctrl-C): the services started so far stop and the start fails. */
  signal: AbortSignal;
}

/**
 * Waits for the child to say it is listening (so that what answers is the child, not another program
 * on its port), then polls `probePath` until it answers 200 (by default `/healthz`, or `/` for a
 * service without one); bounded at 60 s.
 */
async function waitUntilUp(
  url: string,
  child: ChildProcess,
  signal: AbortSignal,
  probePath: string | undefined,
): Promise<void> {
  const deadline = Date.now() + 60_000;
  try {
    await untilListening(child, { signal });
  } catch (error) {
    if (signal.aborted) throw error;
    throw new Error(`${(error as Error).message} (see the services log)`);
  }
  let probe = `${url}${probePath ?? '/healthz'}`;
  while (Date.now() < deadline) {
    if (signal.aborted) throw new Error('interrupted');
    if (child.exitCode !== null) throw new Error(`exited with code ${child.exitCode} (see the services log)`);
    try {
      const response = await fetch(probe, { signal: AbortSignal.timeout(2000) });
      await response.arrayBuffer();
      if (response.ok) return;
      if (response.status === 404 && probePath === undefined) probe = `${url}/`;
    } catch {
      // not answering yet
    }
    await delay(25);
  }
  throw new Error(`no answer from ${url} within 60 s`);
}

export function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

export interface Launch {
  /** The prefix of its lines in the services log. */
  name: string;
  script: string;
  url: string;
  env: Record<string, string>;
  nodeFlags: string[];
  cwd: string;
  log: WriteStream;
  signal: AbortSignal;
  /** What answers 200 once it is up; by default `/healthz`, or `/` when that is 404. */
  probePath?: string;
}

/**
 * Spawns `node <script>` with `env` alone, its output in the services log, and waits until it answers.
 * The child goes into `children` as soon as it exists, so that a failed start can still stop it.
 */
export async function launch(
  plan: Launch,
  children: ChildProcess[],
): Promise<{ pid: number; startupMs: number }> {
  const began = performance.now();
  const child = spawn(process.execPath, [...plan.nodeFlags, plan.script], {
    cwd: plan.cwd,
    env: plan.env,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  children.push(child);
  child.stdout?.on('data', (chunk: Buffer) => plan.log.write(`${plan.name} | ${chunk}`));
  child.stderr?.on('data', (chunk: Buffer) => plan.log.write(`${plan.name} | ${chunk}`));
  try {
    await waitUntilUp(plan.url, child, plan.signal, plan.probePath);
  } catch (error) {
    throw new Error(`${plan.name} did not start: ${(error as Error).message}`);
  }
  if (child.pid === undefined) throw new Error(`${plan.name} has no process id`);
  return { pid: child.pid, startupMs: performance.now() - began };
}

export async function startServices(options: ServiceOptions): Promise<Services> {
  const [mockPort, brokerPort, appPort] = [await freePort(), await freePort(), await freePort()];
  const mockUrl = `http://127.0.0.1:${mockPort}`;
  const brokerUrl = `http://127.0.0.1:${brokerPort}`;
  const appUrl = `http://127.0.0.1:${appPort}`;
  const upstreamIssuer = `${mockUrl}/${mockTenantId}/v2.0`;
  // A clean environment, not the caller's: a stray variable must not change what is measured.
  const common = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    DATA_DIR: options.dataDir,
    LOG_LEVEL: 'warn',
    METRICS_TOKEN: options.metricsToken,
  };
  const plans: Array<{ name: ServiceName; port: number; url: string; env: Record<string, string> }> = [
    {
      name: 'mock-idp',
      port: mockPort,
      url: mockUrl,
      env: {
        MOCK_IDP_PORT: String(mockPort),
        MOCK_IDP_URL: mockUrl,
        MOCK_BROKER_REDIRECT_URIS: `${brokerUrl}/upstream/callback`,
        MOCK_BROKER_POST_LOGOUT_REDIRECT_URIS: `${brokerUrl}/`,
      },
    },
    {
      name: 'broker',
      port: brokerPort,
      url: brokerUrl,
      env: {
        BROKER_PORT: String(brokerPort),
        BROKER_ISSUER: brokerUrl,
        UPSTREAM_ISSUER: upstreamIssuer,
        CQRS_APP_URL: appUrl,
        ...(options.brokerDatabase
          ? { DATABASE_URL: options.brokerDatabase.url, DATABASE_SCHEMA: options.brokerDatabase.schema }
          : {}),
      },
    },
    {
      name: 'cqrs-app',
      port: appPort,
      url: appUrl,
      env: { CQRS_APP_PORT: String(appPort), CQRS_APP_URL: appUrl, BROKER_ISSUER: brokerUrl },
    },
  ];

  const log: WriteStream = createWriteStream(options.logFile, { flags: 'a' });
  const children: ChildProcess[] = [];
  const started: RunningService[] = [];
  // Once: the bench stops them before the floor phase, and again when it cleans up.
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      await Promise.all(children.map(stopChild));
      await new Promise((resolve) => log.end(resolve));
    })());
  try {
    // One after another, as each needs the one before: the broker discovers the mock, the app the broker.
    for (const plan of plans) {
      const { pid, startupMs } = await launch(
        {
          name: plan.name,
          script: path.join(options.root, plan.name, 'main.ts'),
          url: plan.url,
          env: { ...common, ...plan.env },
          nodeFlags: options.nodeFlags[plan.name] ?? [],
          cwd: options.root,
          log,
          signal: options.signal,
        },
        children,
      );
      started.push({ name: plan.name, url: plan.url, pid, startupMs });
    }
  } catch (error) {
    await stop();
    throw error;
  }
  const [mock, broker, app] = started as [RunningService, RunningService, RunningService];
  return { mock, broker, app, all: started, upstreamIssuer, stop };
}

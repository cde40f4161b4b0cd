// The production topology for tests: each service as its own process started with the command the
// Dockerfile and docker-compose.yml use (`node <service>/main.ts`), and nginx from Debian terminating
// TLS with the repository's own config template (deploy/nginx) and a throwaway self-signed certificate.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { Agent } from 'undici';

const root = path.join(import.meta.dirname, '..', '..');
export const nginxPath = process.env.NGINX_PATH ?? '/usr/sbin/nginx';
export const nginxTemplate = path.join(root, 'deploy', 'nginx', 'cqrs-broker.conf.template');

/** A self-signed certificate for 127.0.0.1, made with `openssl req` in `directory`. */
export async function selfSignedCertificate(directory: string) {
  const certificate = path.join(directory, 'proxy.crt');
  const key = path.join(directory, 'proxy.key');
  await promisify(execFile)('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=127.0.0.1',
    '-addext',
    'subjectAltName=IP:127.0.0.1',
    '-keyout',
    key,
    '-out',
    certificate,
  ]);
  return { certificate, key, pem: await readFile(certificate, 'utf8') };
}

/** An undici dispatcher that trusts `pem` (and only it) for https. */
export function trusting(pem: string): Agent {
  return new Agent({ connect: { ca: pem } });
}

/** Replaces `${NAME}` for the given names, as the nginx image's envsubst does; refuses leftovers. */
export function renderTemplate(template: string, values: Record<string, string>): string {
  const rendered = template.replace(/\$\{([A-Z0-9_]+)\}/g, (whole, name: string) => values[name] ?? whole);
  const missing = /\$\{([A-Z0-9_]+)\}/.exec(rendered);
  if (missing) throw new Error(`the nginx template needs ${missing[1]}`);
  return rendered;
}

export interface RunningProcess {
  name: string;
  child: ChildProcess;
  /** Every line it wrote to stdout and stderr (JSON log lines for the services). */
  lines: string[];
  stop(): Promise<void>;
}

export function startProcess(name: string, command: string, args: string[], env: Record<string, string>) {
  const child = spawn(command, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    let buffered = '';
    stream.setEncoding('utf8').on('data', (chunk: string) => {
      buffered += chunk;
      const complete = buffered.split('\n');
      buffered = complete.pop() ?? '';
      lines.push(...complete.filter(Boolean));
    });
  }
  // A missing binary (e.g. nginx not installed) is reported as the process's output, not a crash.
  child.on('error', (error) => lines.push(`${name} could not start: ${error.message}`));
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const running: RunningProcess = {
    name,
    child,
    lines,
    async stop() {
      if (child.pid === undefined) return;
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
  return running;
}

/** Starts `node <entry>` with `env` and waits until `readyUrl` answers 200. */
export async function startService(
  name: string,
  entry: string,
  env: Record<string, string>,
  readyUrl: string,
  dispatcher?: Agent,
): Promise<RunningProcess> {
  const service = startProcess(name, process.execPath, [entry], env);
  try {
    await waitUntilReady(service, readyUrl, dispatcher);
  } catch (error) {
    await service.stop();
    throw error;
  }
  return service;
}

export async function waitUntilReady(service: RunningProcess, url: string, dispatcher?: Agent) {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (service.child.exitCode !== null || service.child.pid === undefined)
      throw new Error(`${service.name} exited (${service.child.exitCode}):\n${service.lines.join('\n')}`);
    try {
      const response = await fetch(url, { dispatcher, signal: AbortSignal.timeout(2000) } as RequestInit);
      await response.arrayBuffer();
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${service.name}: no answer from ${url}:\n${service.lines.join('\n')}`);
}

/** nginx in the foreground with a temp prefix, serving the repository's template rendered with `values`. */
export async function startNginx(directory: string, values: Record<string, string>): Promise<RunningProcess> {
  const fragment = renderTemplate(await readFile(nginxTemplate, 'utf8'), values);
  await writeFile(path.join(directory, 'cqrs-broker.conf'), fragment);
  const temp = (name: string) => `${name}_temp_path ${path.join(directory, name)};`;
  const main = [
    // Run as root (CI), the workers would switch to `nobody`, which cannot read the temp prefix.
    process.getuid?.() === 0 ? 'user root;' : '',
    'worker_processes 1;',
    `pid ${path.join(directory, 'nginx.pid')};`,
    'events { worker_connections 256; }',
    'http {',
    `  access_log ${path.join(directory, 'access.log')};`,
    `  ${temp('client_body')} ${temp('proxy')} ${temp('fastcgi')} ${temp('uwsgi')} ${temp('scgi')}`,
    `  include ${path.join(directory, 'cqrs-broker.conf')};`,
    '}',
  ].join('\n');
  const config = path.join(directory, 'nginx.conf');
  await writeFile(config, main);
  const errorLog = path.join(directory, 'error.log');
  return startProcess(
    'nginx',
    nginxPath,
    ['-p', directory, '-c', config, '-e', errorLog, '-g', 'daemon off;'],
    {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
    },
  );
}

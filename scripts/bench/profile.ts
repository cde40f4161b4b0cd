// Reads a V8 .cpuprofile (written by `node --cpu-prof`) and ranks self time by function and by
// package, idle time left out: where a service's CPU goes under the benchmark's load.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  startTime: number;
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  service: string;
  file: string;
  /** Only samples inside the measured phases count (start-up and warm-up left out). */
  windowSeconds: number;
  busyMs: number;
  topFunctions: Array<{ name: string; selfMs: number; share: number }>;
  topPackages: Array<{ name: string; selfMs: number; share: number }>;
}

/** node_modules/<package> (scoped too), a node built-in, V8's own buckets, or the project folder. */
function packageOf(url: string, functionName: string, root: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native code)';
  // node:internal/crypto/util → "node: crypto", node:_http_server → "node: http".
  if (url.startsWith('node:')) {
    const module =
      url
        .slice(5)
        .replace(/^(internal\/)?(deps\/)?/, '')
        .split('/')[0] ?? '';
    return `node: ${module.replace(/^_/, '').split('_')[0]}`;
  }
  const scheme = /^([a-z]+):\/\//.exec(url)?.[1];
  if (scheme && scheme !== 'file') return `${scheme} code`;
  const file = url.startsWith('file:') ? fileURLToPath(url) : url;
  const modules = file.lastIndexOf(`${path.sep}node_modules${path.sep}`);
  if (modules >= 0) {
    const parts = file.slice(modules + 14).split(path.sep);
    return parts[0]?.startsWith('@') ? `${parts[0]}/${parts[1]}` : (parts[0] ?? file);
  }
  const relative = path.relative(root, file);
  return relative.startsWith('..') ? file : `project: ${relative.split(path.sep)[0]}/`;
}

function shortLocation(url: string, root: string): string {
  if (!url) return '';
  const file = url.startsWith('file:') ? fileURLToPath(url) : url;
  const modules = file.lastIndexOf(`${path.sep}node_modules${path.sep}`);
  return modules >= 0 ? file.slice(modules + 14) : path.relative(root, file);
}

function rank(totals: Map<string, number>, busyMicros: number, limit: number) {
  return [...totals]
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([name, micros]) => ({
      name,
      selfMs: Math.round(micros / 1000),
      share: Number(((micros / busyMicros) * 100).toFixed(1)),
    }));
}

/** Microseconds on the clock V8 stamps profiles with (CLOCK_MONOTONIC, shared by processes on Linux). */
export function profileClock(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

export async function summariseProfile(
  directory: string,
  service: string,
  root: string,
  window: { from: number; to: number },
): Promise<ProfileSummary> {
  const files = (await readdir(directory)).filter((name) => name.endsWith('.cpuprofile'));
  const file = files.find((name) => name.startsWith(service)) ?? files[0];
  if (!file) throw new Error(`no .cpuprofile in ${directory}: did ${service} exit cleanly?`);
  const profile = JSON.parse(await readFile(path.join(directory, file), 'utf8')) as CpuProfile;
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const byFunction = new Map<string, number>();
  const byPackage = new Map<string, number>();
  let busyMicros = 0;
  let sampledAt = profile.startTime;
  profile.samples.forEach((id, index) => {
    const node = nodes.get(id);
    const micros = profile.timeDeltas[index] ?? 0;
    sampledAt += micros;
    if (sampledAt < window.from || sampledAt > window.to) return;
    if (!node || node.callFrame.functionName === '(idle)') return;
    const { functionName, url, lineNumber } = node.callFrame;
    const location = shortLocation(url, root);
    const name = `${functionName || '(anonymous)'}${location ? ` ${location}:${lineNumber + 1}` : ''}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + micros);
    const owner = packageOf(url, functionName, root);
    byPackage.set(owner, (byPackage.get(owner) ?? 0) + micros);
    busyMicros += micros;
  });
  return {
    service,
    file: path.join(directory, file),
    windowSeconds: Number(((window.to - window.from) / 1e6).toFixed(1)),
    busyMs: Math.round(busyMicros / 1000),
    topFunctions: rank(byFunction, busyMicros, 15),
    topPackages: rank(byPackage, busyMicros, 12),
  };
}

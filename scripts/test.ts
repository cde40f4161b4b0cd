// `npm test`: type-check, lint, then every ava test (unit, integration on loopback, browser, and the
// PostgreSQL run). Ends with one plain line: `N passed, N failed`.
import { spawn } from 'node:child_process';
import path from 'node:path';

const root = path.join(import.meta.dirname, '..');
const bin = (name: string) => path.join(root, 'node_modules', '.bin', name);
let passed = 0;
let failed = 0;
let skipped = 0;

function run(command: string, args: string[], onLine?: (line: string) => void): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'], env: process.env });
    let buffered = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      process.stdout.write(chunk);
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) onLine?.(line);
    });
    child.on('close', (code) => {
      if (buffered) onLine?.(buffered);
      resolve(code ?? 1);
    });
  });
}

async function check(name: string, command: string, args: string[]) {
  process.stdout.write(`\n== ${name}\n`);
  const code = await run(command, args);
  if (code === 0) passed += 1;
  else {
    failed += 1;
    process.stdout.write(`${name} failed (exit ${code})\n`);
  }
}

await check('typecheck', bin('tsc'), ['--noEmit', '-p', '.']);
await check('lint', bin('biome'), ['ci', '--colors=off', '.']);

process.stdout.write('\n== tests (ava)\n');
let avaPassed = 0;
let avaFailed = 0;
const avaCode = await run(bin('ava'), ['--tap', ...process.argv.slice(2)], (line) => {
  if (/^not ok \d+/.test(line) && !/# TODO/i.test(line)) avaFailed += 1;
  else if (/^ok \d+.*# SKIP/i.test(line)) skipped += 1;
  else if (/^ok \d+/.test(line)) avaPassed += 1;
});
// A crash that reported no failing test still fails the run.
if (avaCode !== 0 && avaFailed === 0) avaFailed = 1;
if (avaCode === 0 && avaPassed === 0) {
  process.stdout.write('ava ran no test\n');
  avaFailed += 1;
}
passed += avaPassed;
failed += avaFailed;

process.stdout.write(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
process.exitCode = failed === 0 ? 0 : 1;

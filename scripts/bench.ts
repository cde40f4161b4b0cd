// `npm run bench`: measures the whole sign-in journey (CQRS app → broker → mock NHSmail → back to the
// message centre) over real HTTP on loopback, sequentially and with concurrency, plus the password
// hash that dominates it. Bounded: SIGN_INS journeys (default 40) at CONCURRENCY (default 4).
import { performance } from 'node:perf_hooks';
import { hashPassword, verifyPassword } from '../mock-idp/directory/passwords.ts';
import { signInAs } from '../test/helpers/flows.ts';
import { startSystem } from '../test/helpers/system.ts';

const signIns = Number(process.env.SIGN_INS ?? 40);
const concurrency = Number(process.env.CONCURRENCY ?? 4);
const personas = ['jane.smith@nhs.net', 'tom.jones@nhs.net'];

function summary(label: string, samples: number[], wallMs: number, unit = 'sign-ins/s') {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (quantile: number) =>
    sorted[Math.min(sorted.length - 1, Math.floor(quantile * sorted.length))] ?? 0;
  console.log(
    `${label.padEnd(34)} n=${String(samples.length).padStart(3)}  p50=${at(0.5).toFixed(0).padStart(5)} ms  p95=${at(
      0.95,
    )
      .toFixed(0)
      .padStart(
        5,
      )} ms  max=${at(1).toFixed(0).padStart(5)} ms  ${((samples.length / wallMs) * 1000).toFixed(1)} ${unit}`,
  );
}

async function journeys(count: number, parallel: number, system: Awaited<ReturnType<typeof startSystem>>) {
  const samples: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < count) {
        const index = next++;
        const begin = performance.now();
        const { page } = await signInAs(system, personas[index % personas.length] ?? 'jane.smith@nhs.net');
        if (!page.url.endsWith('/messages')) throw new Error(`journey ${index} ended at ${page.url}`);
        samples.push(performance.now() - begin);
      }
    }),
  );
  return { samples, wallMs: performance.now() - started };
}

const hashSamples: number[] = [];
const hash = await hashPassword('Passw0rd-2020');
const hashStarted = performance.now();
for (let index = 0; index < 10; index += 1) {
  const begin = performance.now();
  await verifyPassword(hash, 'Passw0rd-2020');
  hashSamples.push(performance.now() - begin);
}
summary('argon2id verify (m=19456, t=2, p=1)', hashSamples, performance.now() - hashStarted, 'verifies/s');

const system = await startSystem();
try {
  await journeys(2, 1, system);
  const sequential = await journeys(signIns, 1, system);
  summary('sign-in journey, sequential', sequential.samples, sequential.wallMs);
  const parallel = await journeys(signIns, concurrency, system);
  summary(`sign-in journey, ${concurrency} at once`, parallel.samples, parallel.wallMs);
} finally {
  await system.close();
}

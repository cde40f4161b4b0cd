// The floor phase: the same sign-ins as the real services' phases (signIn.ts, the same personas and
// client) against the bare pair, through the same phases for the same time each, with each bare
// process's CPU and memory read from /proc and its instructions counted by perf; and the real
// services' CPU and instructions per sign-in over the bare pair's.
import type { RequestObserver } from '../browser.ts';
import { runLoad } from '../load.ts';
import {
  brokerCpuByRequest,
  firstSignIns,
  millionInstructionsPer,
  personaFor,
  signInLoad,
  type WarmUpPlan,
  warmUpLoad,
} from '../phases.ts';
import { cpuMilliseconds, memory } from '../processStats.ts';
import { cpuMsOfRequests, type RequestCost, type SignInLoad, type SignInPhase } from '../result.ts';
import { signIn } from '../signIn.ts';
import type { Floor, FloorServiceName } from './start.ts';

export interface FloorCost {
  cpuMsPerOperation: number;
  rssMiB: number;
  peakRssMiB: number;
}

export interface FloorResult extends SignInLoad {
  /** Per sign-in, for each bare process. */
  services: Record<FloorServiceName, FloorCost>;
  /** Millions of instructions per sign-in for each bare process, by perf; null where perf cannot count. */
  millionInstructionsPerSignIn: Record<FloorServiceName, number | null>;
  startupMs: Record<FloorServiceName, number>;
  /**
   * CPU per sign-in of the real service over its bare counterpart's, both at `concurrency` in this
   * run: broker / bare broker, mock / bare upstream. null when either is missing or zero.
   */
  cpuRatio: { broker: number | null; 'mock-idp': number | null };
  /** The same ratios in instructions per sign-in, which a busy machine moves less than CPU-ms. */
  instructionRatio: { broker: number | null; 'mock-idp': number | null };
  /**
   * When the run has a one-at-a-time phase: the bare broker's CPU by request, one sign-in at a time
   * for the same time, beside the broker's (SignInPhase.brokerCpuByRequest), with the ratio of the
   * two totals.
   */
  oneAtATime?: { signIns: number; brokerCpuByRequest: RequestCost[]; cpuRatio: number | null };
  /** The concurrencies the bare pair ran, in order, for `seconds` each: the services' phases up to the last it measured. */
  phasesRun: number[];
}

/** 10 concurrent when the run has that phase, else the highest concurrency it has. */
export function floorConcurrency(concurrencies: number[]): number {
  return concurrencies.includes(10) ? 10 : Math.max(...concurrencies);
}

const round = (value: number, digits = 1) => Number(value.toFixed(digits));
const ratio = (real: number | null | undefined, bare: number | null) =>
  real === undefined || real === null || bare === null || real <= 0 || bare <= 0
    ? null
    : round(real / bare, 2);

/**
 * The bare pair goes through the services' phases in their order, for the same time each, up to the
 * last one it measures: the reference phase (`concurrency`) and, when the run has one, the
 * one-at-a-time phase. The phases between are run and not measured. Both sides are then measured
 * with the same history behind them (the same warm-up, then the same phases): a process that has
 * served a few hundred more sign-ins spends less on each, and a phase measured later would be cheaper
 * for that alone.
 */
export async function floorPhase(
  floor: Floor,
  options: {
    concurrency: number;
    seconds: number;
    /** The same warm-up as the services had. */
    warmUp: WarmUpPlan;
    /** The concurrencies of the services' phases, in the order they ran. */
    phases: readonly number[];
    /** The real services' phase at the same concurrency, for the ratios. */
    reference: SignInPhase | undefined;
    /** The real services' one-at-a-time phase, when the run has one: the floor gets one too. */
    oneAtATimeReference?: SignInPhase | undefined;
    signal: AbortSignal;
  },
): Promise<FloorResult> {
  const { concurrency, seconds, reference } = options;
  await firstSignIns(floor.client, options.warmUp.signIns);
  await warmUpLoad(floor.client, options.warmUp, options.signal, 'floor warm-up');
  const oneAtATimeAt = options.oneAtATimeReference ? options.phases.indexOf(1) : -1;
  const referenceAt = options.phases.indexOf(concurrency);
  const last = Math.max(oneAtATimeAt, referenceAt);
  let oneAtATime: FloorResult['oneAtATime'];
  let measured: Awaited<ReturnType<typeof floorLoad>> | undefined;
  const phasesRun: number[] = [];
  for (const [index, phase] of options.phases.entries()) {
    if (index > last) break;
    phasesRun.push(phase);
    if (index === referenceAt) measured = await floorLoad(floor, concurrency, seconds, options.signal);
    else if (index === oneAtATimeAt && options.oneAtATimeReference)
      oneAtATime = await floorOneAtATime(floor, seconds, options.oneAtATimeReference, options.signal);
    else await floorSignIns(floor, phase, seconds, options.signal);
  }
  if (!measured) throw new Error(`the floor's concurrency ${concurrency} is not among the services' phases`);
  const { load, broker, upstream, instructions } = measured;
  return {
    ...signInLoad(concurrency, load),
    ...(oneAtATime ? { oneAtATime } : {}),
    phasesRun,
    services: { 'bare-broker': broker, 'bare-upstream': upstream },
    millionInstructionsPerSignIn: instructions,
    startupMs: {
      'bare-broker': Math.round(floor.broker.startupMs),
      'bare-upstream': Math.round(floor.upstream.startupMs),
    },
    cpuRatio: {
      broker: ratio(reference?.services.broker.cpuMsPerOperation, broker.cpuMsPerOperation),
      'mock-idp': ratio(reference?.services['mock-idp'].cpuMsPerOperation, upstream.cpuMsPerOperation),
    },
    instructionRatio: {
      broker: ratio(reference?.millionInstructionsPerSignIn.broker, instructions['bare-broker']),
      'mock-idp': ratio(reference?.millionInstructionsPerSignIn['mock-idp'], instructions['bare-upstream']),
    },
  };
}

/** Sign-ins against the bare pair at `concurrency` for `seconds`, with each bare process's cost. */
async function floorLoad(floor: Floor, concurrency: number, seconds: number, signal: AbortSignal) {
  const processes = [floor.broker, floor.upstream];
  const before = processes.map((child) => cpuMilliseconds(child.pid));
  const { result: load, perOperation: instructions } = await millionInstructionsPer(
    processes,
    () => floorSignIns(floor, concurrency, seconds, signal),
    (result) => result.completed,
  );
  const [broker, upstream] = processes.map((child, index) => {
    const cpuMs = cpuMilliseconds(child.pid) - (before[index] ?? 0);
    const { rssMiB, peakRssMiB } = memory(child.pid);
    return {
      cpuMsPerOperation: load.completed > 0 ? round(cpuMs / load.completed) : 0,
      rssMiB: round(rssMiB),
      peakRssMiB: round(peakRssMiB),
    };
  }) as [FloorCost, FloorCost];
  return { load, broker, upstream, instructions };
}

function floorSignIns(
  floor: Floor,
  concurrency: number,
  seconds: number,
  signal: AbortSignal,
  observe?: RequestObserver,
) {
  return runLoad({
    label: `floor, ${concurrency} concurrent`,
    concurrency,
    seconds,
    signal,
    operation: async (_worker, index) => {
      await signIn(floor.client, personaFor(index), { observe });
    },
  });
}

/** The bare broker's CPU by request with one sign-in at a time, as phases.ts measures the broker's. */
async function floorOneAtATime(
  floor: Floor,
  seconds: number,
  reference: SignInPhase,
  signal: AbortSignal,
): Promise<FloorResult['oneAtATime']> {
  const byRequest = brokerCpuByRequest(floor.broker);
  const load = await floorSignIns(floor, 1, seconds, signal, byRequest.observe);
  if (load.completed === 0) return undefined;
  const rows = byRequest.perSignIn(load.completed);
  return {
    signIns: load.completed,
    brokerCpuByRequest: rows,
    cpuRatio: ratio(cpuMsOfRequests(reference.brokerCpuByRequest), cpuMsOfRequests(rows)),
  };
}

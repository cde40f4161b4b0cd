// What each service has spent so far (CPU, SQL statements, memory) and what its database holds, taken
// before and after a phase; the difference divided by the operations of the phase is the cost of one.
import type { ServiceName } from './options.ts';
import { cpuMilliseconds, memory } from './processStats.ts';
import type { RunningService } from './services.ts';
import { statementsExecuted } from './statements.ts';
import type { DatabaseSize, SizeProbe } from './storage.ts';

export interface ServiceSnapshot {
  cpuMs: number;
  statements: number | null;
  rssMiB: number;
  peakRssMiB: number;
}

export interface Snapshot {
  services: Record<ServiceName, ServiceSnapshot>;
  databases: Partial<Record<ServiceName, DatabaseSize>>;
}

export interface ServiceCost {
  cpuMsPerOperation: number;
  /** null when the service does not expose `db_statements_total`. */
  statementsPerOperation: number | null;
  rssMiB: number;
  peakRssMiB: number;
}

export async function takeSnapshot(
  services: RunningService[],
  metricsToken: string,
  probes: Partial<Record<ServiceName, SizeProbe>>,
): Promise<Snapshot> {
  // Statements before CPU: the scrape costs the service about a millisecond, which then counts once
  // per phase (the closing snapshot's), not twice.
  const statements = await Promise.all(services.map((service) => statementsExecuted(service, metricsToken)));
  const entries = services.map((service, index) => [
    service.name,
    { cpuMs: cpuMilliseconds(service.pid), statements: statements[index] ?? null, ...memory(service.pid) },
  ]);
  const databases: Snapshot['databases'] = {};
  for (const [name, probe] of Object.entries(probes) as Array<[ServiceName, SizeProbe]>) {
    databases[name] = await probe.size();
  }
  return { services: Object.fromEntries(entries) as Snapshot['services'], databases };
}

const round = (value: number, digits = 2) => Number(value.toFixed(digits));

export function costPerOperation(before: Snapshot, after: Snapshot, operations: number) {
  const per = (value: number) => (operations > 0 ? value / operations : 0);
  const services = Object.fromEntries(
    (Object.keys(after.services) as ServiceName[]).map((name) => {
      const start = before.services[name];
      const end = after.services[name];
      const statements =
        start.statements === null || end.statements === null
          ? null
          : round(per(end.statements - start.statements), 1);
      const cost: ServiceCost = {
        cpuMsPerOperation: round(per(end.cpuMs - start.cpuMs), 1),
        statementsPerOperation: statements,
        rssMiB: round(end.rssMiB, 1),
        peakRssMiB: round(end.peakRssMiB, 1),
      };
      return [name, cost];
    }),
  ) as Record<ServiceName, ServiceCost>;
  const databaseBytesPerOperation = Object.fromEntries(
    (Object.keys(after.databases) as ServiceName[]).map((name) => [
      name,
      Math.round(per((after.databases[name]?.bytes ?? 0) - (before.databases[name]?.bytes ?? 0))),
    ]),
  ) as Partial<Record<ServiceName, number>>;
  return { services, databaseBytesPerOperation };
}

// SQL statements a service has sent so far, read from its Prometheus `db_statements_total` at
// GET /metrics (bearer METRICS_TOKEN). A service whose /metrics lacks the counter reports null —
// "n/a" in the report — never an estimate.
import type { RunningService } from './services.ts';

export async function statementsExecuted(service: RunningService, token: string): Promise<number | null> {
  let response: Response;
  try {
    response = await fetch(`${service.url}/metrics`, {
      headers: { authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(10_000),
    });
  } catch {
    return null;
  }
  const text = await response.text();
  if (!response.ok) return null;
  // `db_statements_total 123` or with labels `db_statements_total{…} 123`: the sum over all series.
  let total: number | null = null;
  for (const line of text.split('\n')) {
    const match = /^db_statements_total(?:\{[^}]*\})?\s+([0-9.eE+-]+)/.exec(line);
    if (match) total = (total ?? 0) + Number(match[1]);
  }
  return total;
}

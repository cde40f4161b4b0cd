// Prometheus metrics for the mock's operators and testers, on the shared registry
// (shared/http/metrics.ts): sign-in attempts by outcome, lockouts, and failure scenarios fired.
// The directory and scenario modules report through `mockEvents(db)`, a small per-database event
// channel, so the sign-in routes need no metrics code of their own.
import { EventEmitter } from 'node:events';
import type { Knex } from 'knex';
import { Counter } from 'prom-client';
import { createServiceMetrics, type ServiceMetrics } from '../shared/http/metrics.ts';

export interface MockEventMap {
  /** A sign-in attempt was recorded, with its outcome (`success`, `invalid_credentials`, a scenario…). */
  attempt: [outcome: string];
  /** Consecutive failures locked an account. */
  lockout: [];
  /** An armed scenario was taken by a sign-in. */
  scenario: [name: string];
}

const channels = new WeakMap<Knex, EventEmitter<MockEventMap>>();

/** The event channel of the mock that works on `db`. */
export function mockEvents(db: Knex): EventEmitter<MockEventMap> {
  let channel = channels.get(db);
  if (!channel) {
    channel = new EventEmitter<MockEventMap>();
    channels.set(db, channel);
  }
  return channel;
}

export function createMockMetrics(options: { db: Knex; token: string | undefined }): ServiceMetrics {
  const service = createServiceMetrics({ prefix: 'mock_idp_', ...options });
  const registers = [service.registry];
  const attempts = new Counter({
    name: 'mock_idp_sign_in_attempts_total',
    help: 'Sign-in attempts by outcome (success, invalid_credentials, locked, a scenario name…)',
    labelNames: ['outcome'] as const,
    registers,
  });
  const lockouts = new Counter({
    name: 'mock_idp_lockouts_total',
    help: 'Accounts locked by consecutive failed passwords or one-time codes',
    registers,
  });
  const scenarios = new Counter({
    name: 'mock_idp_scenarios_fired_total',
    help: 'Armed failure scenarios taken by a sign-in, by scenario',
    labelNames: ['scenario'] as const,
    registers,
  });
  const events = mockEvents(options.db);
  // One mock per database: a rebuilt mock (tests restart it) replaces the previous listeners.
  events.removeAllListeners();
  events.on('attempt', (outcome) => attempts.inc({ outcome }));
  events.on('lockout', () => lockouts.inc());
  events.on('scenario', (scenario) => scenarios.inc({ scenario }));
  return service;
}

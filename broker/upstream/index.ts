// Chooses the upstream connector by type name. One implementation today: `entra` (NHSmail).
import type { BrokerConfig } from '../config.ts';
import type { UpstreamConnector } from './connector.ts';
import { EntraConnector } from './entraConnector.ts';

const connectors = {
  entra: (settings: BrokerConfig['upstream']) => new EntraConnector(settings),
} satisfies Record<
  BrokerConfig['upstream']['type'],
  (settings: BrokerConfig['upstream']) => UpstreamConnector
>;

export function createConnector(settings: BrokerConfig['upstream']): UpstreamConnector {
  return connectors[settings.type](settings);
}

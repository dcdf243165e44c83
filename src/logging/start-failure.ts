// A start that failed on a taken port, told with what moves it: the configuration key and its variable.
import type { Config } from '../config/schema.js';

export interface PortInUse {
  address: string;
  port: number;
  /** The configuration key that chose the port, when one did (a port 0 is never taken). */
  key?: string;
  text: string;
}

export function portInUse(err: unknown, config: Config): PortInUse | undefined {
  const e = err as (NodeJS.ErrnoException & { port?: number; address?: string }) | undefined;
  if (e?.code !== 'EADDRINUSE' || typeof e.port !== 'number') return undefined;
  const candidates: Array<[string, number | undefined]> = [
    ['mqtt.broker.port', config.mqtt.mode === 'embedded' ? config.mqtt.broker.port : undefined],
    ['mqtt.broker.tlsPort', config.mqtt.mode === 'embedded' ? config.mqtt.broker.tlsPort : undefined],
    ['http.port', config.http.port],
    ['lwm2m.localPort', config.lwm2m.localPort],
  ];
  const key = candidates.find(([, port]) => port === e.port)?.[0];
  const address = e.address ?? '';
  const moved = key ? `${key} in the configuration, or ${variableOf(key)}=PORT` : 'the port in the configuration';
  const text = `${address}:${e.port} is already in use: is an agent already running? (\`sma-bridge agent info\` asks it) Else stop what holds the port, or move ${moved}`;
  return { address, port: e.port, ...(key ? { key } : {}), text };
}

const variableOf = (key: string): string => `SMA_${key.split('.').join('_').toUpperCase()}`;

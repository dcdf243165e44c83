// Command-line options of the fleet simulator, checked into one plain options object.
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';

export class UsageError extends Error {}

export const USAGE = `usage: sma-bridge sim [--broker URL] [--agent ID | --topic-root ROOT] --devices N --rate R
  [--duration S] [--connections K] [--id-prefix P] [--qos 0|1] [--protocol-version 4|5]
  [--plugin NAME [--register-plugin] [--device-set] [--reregister-drop K]
                 [--plugin-beat-ms MS] [--plugin-down-after S --plugin-down-for S]]
  [--silent-fraction F --silent-after S [--silent-for S]]
  [--burst AT:FOR:FACTOR ...] [--timeout-ms T] [--settle S] [--json] [--quiet]`;

const spec = {
  broker: { type: 'string', default: 'mqtt://127.0.0.1:1883' },
  agent: { type: 'string' },
  'topic-root': { type: 'string' },
  devices: { type: 'string', default: '100' },
  rate: { type: 'string' },
  duration: { type: 'string' },
  connections: { type: 'string', default: '1' },
  'id-prefix': { type: 'string', default: 'sim-' },
  qos: { type: 'string', default: '0' },
  'protocol-version': { type: 'string', default: '4' },
  username: { type: 'string' },
  password: { type: 'string' },
  plugin: { type: 'string' },
  'register-plugin': { type: 'boolean', default: false },
  'device-set': { type: 'boolean', default: false },
  'reregister-drop': { type: 'string', default: '0' },
  'plugin-beat-ms': { type: 'string', default: '1000' },
  'plugin-down-after': { type: 'string' },
  'plugin-down-for': { type: 'string' },
  'silent-fraction': { type: 'string', default: '0' },
  'silent-after': { type: 'string', default: '0' },
  'silent-for': { type: 'string' },
  burst: { type: 'string', multiple: true, default: [] },
  'timeout-ms': { type: 'string' },
  settle: { type: 'string', default: '1' },
  json: { type: 'boolean', default: false },
  quiet: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
};

function number(name, text, { min = 0, max = Number.MAX_SAFE_INTEGER, integer = false } = {}) {
  const n = Number(text);
  if (text === undefined || text === '' || !Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
    throw new UsageError(`--${name} must be a${integer ? 'n integer' : ' number'} in [${min}, ${max}], got ${JSON.stringify(text)}`);
  }
  return n;
}

const optional = (name, text, limits) => (text === undefined ? undefined : number(name, text, limits));

function burst(text) {
  const parts = text.split(':');
  if (parts.length !== 3) throw new UsageError(`--burst takes AT:FOR:FACTOR (seconds, seconds, rate factor), got ${JSON.stringify(text)}`);
  return { atS: number('burst AT', parts[0]), forS: number('burst FOR', parts[1]), factor: number('burst FACTOR', parts[2]) };
}

const defaultAgent = () => hostname().replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 63) || 'sma-bridge';

/** Parses argv (without node and script) into fleet options; throws UsageError on bad usage. */
export function parseFleetArgs(argv) {
  let values;
  try {
    ({ values } = parseArgs({ args: argv, options: spec, strict: true, allowPositionals: false }));
  } catch (err) {
    throw new UsageError(err.message);
  }
  if (values.help) return { help: true };
  const devices = number('devices', values.devices, { min: 1, max: 10_000_000, integer: true });
  const topicRoot = values['topic-root'] ?? `sma/${values.agent ?? defaultAgent()}`;
  if (/[#+]/.test(topicRoot)) throw new UsageError('--topic-root must not hold MQTT wildcards');
  if (values.plugin !== undefined && !/^[a-z0-9][a-z0-9._-]{0,62}$/.test(values.plugin)) {
    throw new UsageError('--plugin must be a service name (^[a-z0-9][a-z0-9._-]{0,62}$)');
  }
  const pluginDownAfterS = optional('plugin-down-after', values['plugin-down-after']);
  if (pluginDownAfterS !== undefined && values.plugin === undefined) throw new UsageError('--plugin-down-after needs --plugin');
  return {
    broker: values.broker,
    topicRoot,
    devices,
    rate: values.rate === undefined ? Math.max(1, devices / 10) : number('rate', values.rate, { min: 0 }),
    durationS: optional('duration', values.duration),
    connections: number('connections', values.connections, { min: 1, max: 64, integer: true }),
    idPrefix: values['id-prefix'],
    qos: number('qos', values.qos, { max: 1, integer: true }),
    protocolVersion: number('protocol-version', values['protocol-version'], { min: 4, max: 5, integer: true }),
    username: values.username,
    password: values.password,
    plugin: values.plugin,
    registerPlugin: values['register-plugin'],
    deviceSet: values['device-set'],
    reregisterDrop: number('reregister-drop', values['reregister-drop'], { integer: true }),
    pluginBeatMs: number('plugin-beat-ms', values['plugin-beat-ms'], { min: 10 }),
    pluginDownAfterS,
    pluginDownForS: optional('plugin-down-for', values['plugin-down-for']),
    silentFraction: number('silent-fraction', values['silent-fraction'], { max: 1 }),
    silentAfterS: number('silent-after', values['silent-after']),
    silentForS: optional('silent-for', values['silent-for']),
    bursts: values.burst.map(burst),
    timeoutMs: optional('timeout-ms', values['timeout-ms'], { min: 1 }),
    settleS: number('settle', values.settle),
    json: values.json,
    quiet: values.quiet,
  };
}

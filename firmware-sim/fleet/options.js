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

/** Every option once: its parseArgs type, default and the line `--help` prints for it. */
const options = {
  broker: { type: 'string', default: 'mqtt://127.0.0.1:1883', arg: 'URL', help: "the agent's MQTT broker" },
  agent: { type: 'string', arg: 'ID', help: 'agent id: topics under sma/ID (default: this host name, as the agent)' },
  'topic-root': { type: 'string', arg: 'ROOT', help: 'topic root of the agent, when it is not sma/ID' },
  devices: { type: 'string', arg: 'N', help: 'how many devices (required)' },
  rate: { type: 'string', arg: 'R', help: 'heartbeats per second over the whole fleet (required)' },
  duration: { type: 'string', arg: 'S', help: 'stop after S seconds (default: run until Ctrl-C)' },
  connections: { type: 'string', default: '1', arg: 'K', help: 'MQTT connections the devices are spread over (1..64)' },
  'id-prefix': { type: 'string', default: 'sim-', arg: 'P', help: 'device ids are P0, P1, ...' },
  qos: { type: 'string', default: '0', arg: '0|1', help: 'QoS of the heartbeats' },
  'protocol-version': { type: 'string', default: '4', arg: '4|5', help: 'MQTT 3.1.1 (4) or 5' },
  username: { type: 'string', arg: 'USER', help: 'MQTT user name' },
  password: { type: 'string', arg: 'PASS', help: 'MQTT password' },
  plugin: { type: 'string', arg: 'NAME', help: 'the devices belong to plugin service NAME, which beats too' },
  'register-plugin': { type: 'boolean', default: false, help: 'register NAME with the agent first (plugin: true, heartbeat check)' },
  'device-set': { type: 'boolean', default: false, help: "send the plugin's device set at the start and on every reregister request" },
  'reregister-drop': { type: 'string', default: '0', arg: 'K', help: 'leave the last K devices out of the device set sent after a reregister' },
  'plugin-beat-ms': { type: 'string', default: '1000', arg: 'MS', help: "the plugin's heartbeat period" },
  'plugin-down-after': { type: 'string', arg: 'S', help: 'the plugin stops beating after S seconds' },
  'plugin-down-for': { type: 'string', arg: 'S', help: '... and beats again S seconds later' },
  'silent-fraction': { type: 'string', default: '0', arg: 'F', help: 'fraction (0..1) of the devices that go silent' },
  'silent-after': { type: 'string', default: '0', arg: 'S', help: '... after S seconds' },
  'silent-for': { type: 'string', arg: 'S', help: '... for S seconds (default: for good)' },
  burst: { type: 'string', multiple: true, default: [], arg: 'AT:FOR:FACTOR', help: 'at AT s, for FOR s, beat FACTOR times faster (repeatable)' },
  'timeout-ms': { type: 'string', arg: 'T', help: "the agent's trust.heartbeatTimeoutMs, to measure how late NONE events come" },
  settle: { type: 'string', default: '1', arg: 'S', help: 'wait S seconds for trust events after the last heartbeat' },
  json: { type: 'boolean', default: false, help: 'print the summary as JSON' },
  quiet: { type: 'boolean', default: false, help: 'no progress line on stderr' },
  help: { type: 'boolean', short: 'h', default: false, help: 'this help' },
};

// parseArgs takes only its own keys, and refuses them set to undefined.
const spec = Object.fromEntries(
  Object.entries(options).map(([name, { arg: _arg, help: _help, ...parse }]) => [name, parse]),
);

const optionLine = ([name, o]) => {
  const left = `${o.short ? `-${o.short}, ` : ''}--${name}${o.arg ? ` ${o.arg}` : ''}`;
  const shown = o.default === undefined || o.type === 'boolean' || o.multiple ? '' : ` (default ${o.default})`;
  return `  ${left.padEnd(30)} ${o.help}${shown}`;
};

/** `--help`: the usage and one line per option. */
export const HELP = [
  USAGE,
  '',
  'Runs a fleet of devices beating to an agent over MQTT, with scripted silences, plugin outages and bursts;',
  'a progress line on stderr every 5 s, a summary at the end. Exit status: 0 done, 1 broker unreachable, 2 bad usage.',
  '',
  'options:',
  ...Object.entries(options).map(optionLine),
].join('\n');

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
  const missing = ['devices', 'rate'].filter((name) => values[name] === undefined);
  // Required, as the usage says: a bare `sim` must not quietly start a fleet that runs forever.
  if (missing.length > 0) throw new UsageError(`${missing.map((m) => `--${m}`).join(' and ')} ${missing.length > 1 ? 'are' : 'is'} required`);
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
    rate: number('rate', values.rate, { min: 0 }),
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

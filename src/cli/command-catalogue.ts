// Every command and option of `sma-bridge` as data: the argv parser checks against it, help is printed from it.
export const optionConfig = {
  broker: { type: 'string' },
  agent: { type: 'string' },
  'topic-root': { type: 'string' },
  username: { type: 'string' },
  password: { type: 'string' },
  timeout: { type: 'string' },
  json: { type: 'boolean' },
  all: { type: 'boolean' },
  'all-registered': { type: 'boolean' },
  level: { type: 'string' },
  config: { type: 'string', short: 'c' },
  'data-dir': { type: 'string' },
  lines: { type: 'string', short: 'n' },
  follow: { type: 'boolean', short: 'f' },
  since: { type: 'string' },
  step: { type: 'string' },
  'unit-dir': { type: 'string' },
  check: { type: 'string' },
  container: { type: 'string' },
  'config-dir': { type: 'string' },
  url: { type: 'string' },
  sha256: { type: 'string' },
  signature: { type: 'string' },
  'no-wait': { type: 'boolean' },
  'healthy-for': { type: 'string' },
  image: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'V' },
} as const;

export type OptionName = keyof typeof optionConfig;

export const optionHelp: Record<OptionName, string> = {
  broker: '--broker URL       MQTT broker of the agent (default mqtt://127.0.0.1:1883)',
  agent: '--agent ID         agent to ask (default: the one ONLINE agent under sma/+/status)',
  'topic-root': '--topic-root R     topic root of the agent, when it is not sma/{ID}',
  username: '--username USER    MQTT user name',
  password: '--password PASS    MQTT password',
  timeout: '--timeout MS       how long to wait for the agent (default 10000)',
  json: '--json             print the raw result as JSON',
  all: '--all              every registered service',
  'all-registered': '--all-registered   include deregistered (HALT) services',
  level: '--level LEVEL      only devices at this trust level: NONE or COMPLETE',
  config: "-c, --config FILE  the agent's configuration file (JSON with comments); client commands find the agent's broker and id there",
  'data-dir': '--data-dir DIR     the agent\'s dataDir (default: the one in -c FILE)',
  lines: '-n, --lines N      the last N lines (default: all the agent keeps)',
  follow: '-f, --follow       keep printing new lines as the service prints them (Ctrl-C ends)',
  since: '--since DURATION   from this long ago: 90s, 30m, 24h (history default 1h)',
  step: '--step DURATION    history bucket: 10s, 1m, ... (default 10s within the last hour, else 1m)',
  check: '--check CHECK      http://HOST:PORT/PATH, process, heartbeat or none (default: process with a command)',
  container: '--container NAME   run as this Docker container instead of a command (executor: docker)',
  'unit-dir': '--unit-dir DIR      where the systemd unit goes (default /etc/systemd/system)',
  'config-dir': '--config-dir DIR    where config.json goes (default /etc/sma-bridge; an existing one is kept)',
  url: '--url URL          the artifact (a gzip\'d tar) to download: http:// or https://',
  sha256: '--sha256 HEX       the artifact\'s SHA-256 (64 hex digits)',
  signature: '--signature B64   base64 Ed25519 signature of the SHA-256 digest (for deploy.trustedKeys)',
  'no-wait': '--no-wait          return once the agent has accepted the deployment',
  'healthy-for': '--healthy-for DURATION  how long the new version must stay RUNNING and UP (default 30s)',
  image: '--image REF        a container service\'s new image (one the engine has), instead of --url and --sha256',
  help: '-h, --help         this help',
  version: '-V, --version      print the version and exit',
};

/** Options every command that asks a running agent accepts. */
export const clientOptions: readonly OptionName[] = ['broker', 'agent', 'topic-root', 'username', 'password', 'timeout', 'json', 'config'];

export interface CommandSpec {
  group: string;
  verb?: string;
  /** Argument synopsis for help, e.g. `NAME...|--all`. */
  synopsis: string;
  summary: string;
  /** More for the command's own --help. */
  details?: string;
  /** Asks a running agent over MQTT (takes the client options). */
  client: boolean;
  extraOptions: readonly OptionName[];
  /** How many positional arguments it takes (maxArgs absent: no upper bound). */
  minArgs: number;
  maxArgs?: number;
}

const spec = (s: CommandSpec): CommandSpec => s;

export const commands: readonly CommandSpec[] = [
  spec({ group: 'start', synopsis: '[-c FILE]', summary: 'run the agent', client: false, extraOptions: ['config'], minArgs: 0, maxArgs: 0 }),
  spec({ group: 'services', verb: 'list', synopsis: '[NAME...]', summary: 'services, their status and health', client: true, extraOptions: ['all-registered'], minArgs: 0 }),
  spec({ group: 'services', verb: 'health', synopsis: '[NAME...]', summary: 'last health check of services', client: true, extraOptions: [], minArgs: 0 }),
  spec({ group: 'services', verb: 'metrics', synopsis: '[NAME...]', summary: 'CPU, memory, uptime and restarts', client: true, extraOptions: [], minArgs: 0 }),
  spec({ group: 'services', verb: 'start', synopsis: 'NAME...|--all', summary: 'start services', client: true, extraOptions: ['all'], minArgs: 0 }),
  spec({ group: 'services', verb: 'stop', synopsis: 'NAME...|--all', summary: 'stop services (they stay stopped)', client: true, extraOptions: ['all'], minArgs: 0 }),
  spec({ group: 'services', verb: 'restart', synopsis: 'NAME...|--all', summary: 'restart services through the executor', client: true, extraOptions: ['all'], minArgs: 0 }),
  spec({ group: 'services', verb: 'logs', synopsis: 'NAME', summary: "a service's last output lines, stdout and stderr", client: true, extraOptions: ['lines', 'follow', 'since'], minArgs: 1, maxArgs: 1 }),
  spec({ group: 'services', verb: 'history', synopsis: 'NAME METRIC', summary: 'resource history: cpuPercent, memoryBytes, fds, threads or restarts', client: true, extraOptions: ['since', 'step'], minArgs: 2, maxArgs: 2 }),
  spec({ group: 'alerts', verb: 'list', synopsis: '', summary: 'rules and their state per service', client: true, extraOptions: [], minArgs: 0, maxArgs: 0 }),
  spec({ group: 'services', verb: 'register', synopsis: 'NAME [--check CHECK] [--container NAME] [-- COMMAND ARG...]', summary: 'register a service (its start command after --, run in this directory)', details: 'Example: sma-bridge services register demo --check http://127.0.0.1:8081/health -- node firmware-sim/service.js --port 8081', client: true, extraOptions: ['check', 'container'], minArgs: 1 }),
  spec({ group: 'services', verb: 'deregister', synopsis: 'NAME', summary: 'deregister a service (the agent stops supervising it)', client: true, extraOptions: [], minArgs: 1, maxArgs: 1 }),
  spec({ group: 'services', verb: 'deploy', synopsis: 'NAME VERSION --url URL --sha256 HEX [--signature B64] | --image REF [--healthy-for DURATION] [--no-wait]', summary: 'install a new version of a service and switch to it (waits, with a progress line)', client: true, extraOptions: ['url', 'sha256', 'signature', 'no-wait', 'healthy-for', 'image'], minArgs: 2, maxArgs: 2 }),
  spec({ group: 'services', verb: 'deployments', synopsis: '[NAME]', summary: 'deployments and the versions each service runs', client: true, extraOptions: [], minArgs: 0, maxArgs: 1 }),
  spec({ group: 'services', verb: 'rollback', synopsis: 'NAME [--no-wait]', summary: 'switch a service back to its previous version', client: true, extraOptions: ['no-wait'], minArgs: 1, maxArgs: 1 }),
  spec({ group: 'services', verb: 'cancel', synopsis: 'NAME [--no-wait]', summary: 'cancel a deployment in progress (before the switch: it ends FAILED; from the switch on: it rolls back)', details: 'Waits for the end: exit 0 when the deployment ended FAILED with INTERRUPTED before its switch or ROLLED_BACK, 1 otherwise. A rollback under way cannot be cancelled (CONFLICT).', client: true, extraOptions: ['no-wait'], minArgs: 1, maxArgs: 1 }),
  spec({ group: 'config', verb: 'get', synopsis: 'NAME [KEY...]', summary: "a service's configuration (dotted keys reach inside)", client: true, extraOptions: [], minArgs: 1 }),
  spec({ group: 'config', verb: 'set', synopsis: 'NAME KEY=VALUE...', summary: "merge values into a service's configuration", details: 'VALUE is read as JSON when it parses, else as a string; a dotted KEY (a.b=1) builds nested objects; null removes a key.', client: true, extraOptions: [], minArgs: 2 }),
  spec({ group: 'trust', verb: 'list', synopsis: '[--level NONE|COMPLETE] [ID...]', summary: 'trust levels of the devices behind the gateway', client: true, extraOptions: ['level'], minArgs: 0 }),
  spec({ group: 'agent', verb: 'info', synopsis: '', summary: 'the agent: id, version, uptime, registry, counts', client: true, extraOptions: [], minArgs: 0, maxArgs: 0 }),
  spec({ group: 'sim', synopsis: '...', summary: 'the firmware simulator (arguments go to firmware-sim/sim.js)', client: false, extraOptions: [], minArgs: 0 }),
  spec({ group: 'repair-store', synopsis: '--data-dir DIR|-c FILE', summary: "repair a stopped agent's damaged store (a copy is kept first)", client: false, extraOptions: ['data-dir', 'config'], minArgs: 0, maxArgs: 0 }),
  spec({ group: 'install-service', synopsis: '[--unit-dir DIR] [--config-dir DIR] [--data-dir DIR]', summary: 'write the systemd unit, a sample config.json (never over one) and the data directory', details: 'Data directory default: /var/lib/sma-bridge. Prints the systemctl steps that follow.', client: false, extraOptions: ['unit-dir', 'config-dir', 'data-dir'], minArgs: 0, maxArgs: 0 }),
  spec({ group: 'passwd', synopsis: '', summary: 'read a password on stdin, print its scrypt hash for mqtt.broker.users', client: false, extraOptions: [], minArgs: 0, maxArgs: 0 }),
];

export const groups: readonly string[] = [...new Set(commands.map((c) => c.group))];

export const commandsOf = (group: string): CommandSpec[] => commands.filter((c) => c.group === group);

export const hasVerbs = (group: string): boolean => commandsOf(group).some((c) => c.verb !== undefined);

export const allowedOptions = (c: CommandSpec): OptionName[] => [...(c.client ? clientOptions : []), ...c.extraOptions, 'help'];

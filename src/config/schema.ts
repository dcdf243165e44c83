// The configuration file's schema and defaults (CONTRACT section 3).
import { z } from 'zod/v3';
import { registrationSchema, restartPolicySchema, runsOneWay } from '../model.js';
import { AGENT_ID, defaultAgentId } from './agent-id.js';
import { RESERVED_USERNAMES, USERNAME_PATTERN } from '../policy/principal.js';
import { brokerLoginFields } from './broker-login.js';
import { logsConfigSchema } from '../output/output-config.js';
import { sparkplugConfigSchema } from '../sparkplug/config-schema.js';
import { rulesConfigSchema, watchConfigSchema } from '../watch/watch-config.js';

/** A pre-shared key as hex: 1 to 64 bytes (also what a `keyFile` must hold). */
export const PSK_HEX = /^([0-9a-fA-F]{2}){1,64}$/;

const pskSchema = z
  .object({
    identity: z.string().min(1).max(128),
    key: z.string().regex(PSK_HEX, 'must be 1-64 bytes of hex').optional(),
    keyFile: z.string().min(1).optional(),
  })
  .strict()
  .refine((p) => (p.key === undefined) !== (p.keyFile === undefined), 'give exactly one of key and keyFile');

const port = z.number().int().min(0).max(65535);
const positiveMs = z.number().int().positive();

// A username becomes a topic level (R/response/{username}/...): no '/', '+', '#' or NUL; and it may not be
// a built-in principal's (HTTP users too: their names key stored answers and rules' restarts alike).
const username = z
  .string()
  .regex(USERNAME_PATTERN, 'letters, digits and . _ @ - only (it becomes a topic level)')
  .refine((u) => !RESERVED_USERNAMES.has(u), (u) => ({ message: `${u} is the name of a built-in principal (${[...RESERVED_USERNAMES].join(', ')}): choose another` }));

const brokerUser = z
  .object({
    username,
    /** `scrypt$N$r$p$saltBase64$hashBase64` (see `sma-bridge passwd`). */
    passwordHash: z.string().min(1),
    role: z.enum(['operator', 'service', 'device']),
  })
  .strict();

const httpUser = z
  .object({
    username,
    /** scrypt hash of the password (HTTP Basic), see `sma-bridge passwd`. */
    passwordHash: z.string().min(1).optional(),
    /** scrypt hash of a bearer token (Authorization: Bearer ...). */
    tokenHash: z.string().min(1).optional(),
    role: z.enum(['operator', 'service', 'device']),
  })
  .strict()
  .refine((u) => u.passwordHash !== undefined || u.tokenHash !== undefined, { message: 'needs passwordHash or tokenHash' });

/** The Docker executor, for services registered with `container` (CONTRACT section 12), whatever the default executor. */
const dockerExecutor = z
  .object({
    /** The Engine API's unix socket. */
    socket: z.string().min(1).default('/var/run/docker.sock'),
    /** A container's stop: SIGTERM, then SIGKILL after this long (rounded up to whole seconds, as Docker takes it). */
    stopGraceMs: positiveMs.default(10_000),
  })
  .strict()
  .default({});

const commandExecutor = z
  .object({
    type: z.literal('command'),
    /** An EdgeX-style executor, called as `path <name> <start|stop|restart|metrics>`. */
    path: z.string().min(1).optional(),
    /** Or per-action argv templates; `{name}` is replaced by the service name, never through a shell. */
    start: z.array(z.string()).min(1).optional(),
    stop: z.array(z.string()).min(1).optional(),
    restart: z.array(z.string()).min(1).optional(),
    metrics: z.array(z.string()).min(1).optional(),
    reboot: z.array(z.string()).min(1).optional(),
    timeoutMs: positiveMs.default(30_000),
    docker: dockerExecutor,
  })
  .strict();

const processExecutor = z
  .object({
    type: z.literal('process'),
    /** SIGTERM, then SIGKILL after this long. */
    stopGraceMs: positiveMs.default(5_000),
    reboot: z.array(z.string()).min(1).optional(),
    docker: dockerExecutor,
  })
  .strict();

export const configSchema = z
  .object({
    agent: z.object({ id: z.string().regex(AGENT_ID).default(defaultAgentId) }).strict().default({}),
    dataDir: z.string().min(1).default('./data'),
    mqtt: z
      .object({
        mode: z.enum(['embedded', 'external']).default('embedded'),
        ...brokerLoginFields,
        protocolVersion: z.union([z.literal(4), z.literal(5)]).default(5),
        /** Send or accept passwords in clear beyond loopback: only on a trusted network; logged loudly at every start. */
        allowPlaintext: z.boolean().default(false),
        broker: z
          .object({
            host: z.string().default('127.0.0.1'),
            port: port.default(1883),
            tlsPort: port.optional(),
            cert: z.string().optional(),
            key: z.string().optional(),
            users: z.array(brokerUser).optional(),
          })
          .strict()
          .default({}),
        topicRoot: z.string().regex(/^[^#+]+$/, 'no MQTT wildcards').optional(),
      })
      .strict()
      .default({})
      .refine((m) => m.mode !== 'external' || m.url, { message: 'external mode needs `url`', path: ['url'] }),
    lwm2m: z
      .object({
        /** coap:// is NoSec; coaps:// is DTLS with `psk` (certificate modes: a later `certificate` key beside it). */
        serverUri: z.string().regex(/^coaps?:\/\//, 'must be a coap:// or coaps:// URI').optional(),
        /** Pre-shared key for coaps:// (LwM2M PSK mode): identity and key as hex, or a file holding the hex key. */
        psk: pskSchema.optional(),
        endpoint: z.string().min(1).max(128).optional(),
        lifetimeS: z.number().int().min(10).max(86_400 * 30).default(300),
        /** A Bootstrap-Server: asked for the server account when none is known or the server keeps refusing. */
        bootstrapUri: z.string().regex(/^coaps?:\/\//, 'must be a coap:// or coaps:// URI').optional(),
        /** The Bootstrap-Server's pre-shared key, for a coaps:// bootstrapUri. */
        bootstrapPsk: pskSchema.optional(),
        /** Local UDP port of the client; 0 picks a free one. */
        localPort: port.default(0),
        /** NoSec mode serves only the registered server; `any` is for debugging. */
        acceptFrom: z.enum(['server', 'any']).default('server'),
        /**
         * Object 9 over NoSec: a Package URI carrying its own `#sha256` is refused unless this is set (anyone who
         * can spoof the server's UDP address could deploy code with it); a signed one (no digest) always goes.
         */
        noSecPackageDigest: z.boolean().default(false),
        /**
         * A request still being handled after this long gets an empty ACK now and its answer later as a CON of its own
         * (a CoAP separate response); default 1000, below ACK_TIMEOUT (2 s) so the server need not retransmit. Only for
         * a server that cannot take separate responses (lwm2m-node-lib): set it above the longest handling time.
         */
        separateResponseAfterMs: z.number().int().min(1).max(93_000).optional(),
      })
      .strict()
      .refine((l) => !l.bootstrapUri?.startsWith('coaps:') || l.bootstrapPsk !== undefined, { message: 'a coaps:// bootstrapUri needs bootstrapPsk', path: ['bootstrapPsk'] })
      .refine((l) => l.bootstrapPsk === undefined || l.bootstrapUri?.startsWith('coaps:') === true, { message: 'bootstrapPsk is set but bootstrapUri is not coaps://', path: ['bootstrapPsk'] })
      .default({}),
    sparkplug: sparkplugConfigSchema,
    registry: z
      .object({
        type: z.enum(['auto', 'consul', 'keeper', 'etcd', 'sma', 'none']).default('auto'),
        consul: z.object({ url: z.string().url() }).strict().optional(),
        keeper: z.object({ url: z.string().url() }).strict().optional(),
        etcd: z.object({ hosts: z.array(z.string()).min(1), prefix: z.string().default('/sma-bridge/') }).strict().optional(),
      })
      .strict()
      .default({}),
    health: z
      .object({
        intervalMs: positiveMs.default(10_000),
        timeoutMs: positiveMs.default(2_000),
        retries: z.number().int().min(1).default(3),
        restartDelayMs: z.number().int().min(0).default(1_000),
        backoffMaxMs: positiveMs.default(60_000),
        maxRestarts: z.number().int().min(0).default(5),
        restartWindowMs: positiveMs.default(600_000),
        /** Hosts other than loopback that http checks may poll (e.g. services in containers); none by default. */
        allowedHosts: z.array(z.string().min(1).max(253)).default([]),
        /** For services whose registration names none (edgeAgent's default too). */
        restartPolicy: restartPolicySchema.default('on-unhealthy'),
        /** UP without a break for this long clears the back-off (edgeAgent: 10 minutes). */
        healthyRunMs: positiveMs.default(600_000),
        /** After a (re)start, missed checks do not count until the first UP or until this has passed (a registration may carry its own). */
        startGraceMs: z.number().int().min(0).default(30_000),
      })
      .strict()
      .default({}),
    trust: z
      .object({
        heartbeatTimeoutMs: positiveMs.default(600_000),
        pluginCheckIntervalMs: positiveMs.default(30_000),
      })
      .strict()
      .default({}),
    operations: z
      .object({
        timeoutMs: positiveMs.default(30_000),
        // The command journal keeps answers a day; bounded in bytes too so it cannot fill an SD card.
        journalMaxBytes: z.number().int().min(65_536).default(64 * 1024 * 1024),
        /** The part of journalMaxBytes one principal may hold, so one client cannot lock out the rest. */
        journalPrincipalShare: z.number().gt(0).max(1).default(0.25),
      })
      .strict()
      .default({}),
    // The contract spells it `"executor": "process"`; the object form carries the options.
    executor: z
      .preprocess(
        (v) => (typeof v === 'string' ? { type: v } : v),
        z.discriminatedUnion('type', [processExecutor, commandExecutor]).refine((e) => e.type !== 'command' || e.path !== undefined || (e.start && e.stop && e.restart), {
          message: 'needs `path`, or `start`, `stop` and `restart` argv templates',
        }),
      )
      .default({ type: 'process' }),
    services: z.array(registrationSchema.superRefine(runsOneWay)).default([]),
    http: z
      .object({
        host: z.string().default('127.0.0.1'),
        port: port.default(48090),
        /** Who may call the HTTP APIs; required on any address other than loopback (same roles as the broker). */
        users: z.array(httpUser).optional(),
        /** PEM files: with both, the front serves HTTPS. */
        cert: z.string().optional(),
        key: z.string().optional(),
        /** Serve users' passwords over plain HTTP beyond loopback anyway (logged loudly at every start). */
        allowPlaintext: z.boolean().default(false),
        keeper: z
          .object({
            /** Where a service's configuration keys start: `{serviceRoot}/{service}/...` (EdgeX 4: edgex/v4). */
            serviceRoot: z.string().regex(/^[A-Za-z0-9._~-]+(\/[A-Za-z0-9._~-]+)*$/).default('edgex/v4'),
            /** MQTT topic prefix of KV change messages (EdgeX keeper clients subscribe below it). */
            changeTopicPrefix: z.string().regex(/^[^#+]+$/, 'no MQTT wildcards').default('edgex/configs'),
          })
          .strict()
          .default({}),
      })
      .strict()
      .default({})
      .refine((h) => (h.cert === undefined) === (h.key === undefined), { message: 'cert and key go together', path: ['cert'] }),
    /** Deployments (CONTRACT section 13). */
    deploy: z
      .object({
        /** Ed25519 public keys (PEM) whose signatures of an artifact's SHA-256 digest are trusted. */
        trustedKeys: z.array(z.string().min(1).max(16_384)).max(64).default([]),
        /** Refuse unsigned artifacts. */
        requireSignature: z.boolean().default(false),
        /** Hosts other than loopback that an artifact download may be redirected to. */
        allowedHosts: z.array(z.string().min(1).max(253)).default([]),
        /** The most bytes an artifact may have: a longer download (a body that never ends) is cut and FAILED. */
        maxArtifactBytes: z.number().int().min(1).default(2 ** 31),
        /** The whole download's time, attempts included: a server trickling bytes cannot hold a deployment for ever. */
        downloadTimeoutMs: z.number().int().min(1_000).max(7 * 86_400_000).default(3_600_000),
        /** The gate of a deployment that names none (LwM2M object 9's always). */
        gate: z
          .object({ healthyForMs: z.number().int().min(0).max(86_400_000).default(30_000), timeoutMs: z.number().int().min(1).max(86_400_000).default(120_000) })
          .strict()
          .default({}),
        /** A pause after each state is stored, before its step: 0 in service; the crash trials widen their window with it. */
        stepPauseMs: z.number().int().min(0).max(600_000).default(0),
      })
      .strict()
      .default({})
      .refine((d) => !d.requireSignature || d.trustedKeys.length > 0, { message: 'requireSignature needs trustedKeys', path: ['requireSignature'] }),
    log: z
      .object({
        level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
        /** auto: readable lines on a terminal, JSON lines otherwise (journald, a pipe, a file). */
        format: z.enum(['auto', 'json', 'pretty']).default('auto'),
      })
      .strict()
      .default({}),
    logs: logsConfigSchema,
    watch: watchConfigSchema,
    rules: rulesConfigSchema,
  })
  .strict();

export type Config = z.infer<typeof configSchema>;

export const topicRootOf = (config: Config): string => config.mqtt.topicRoot ?? `sma/${config.agent.id}`;
export const endpointOf = (config: Config): string => config.lwm2m.endpoint ?? config.agent.id;

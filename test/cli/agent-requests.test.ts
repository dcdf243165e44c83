// The client commands against a real MQTT broker (aedes, in-process, on a free loopback port). A small
// responder stands in for the agent's MQTT front; the agent itself is covered by the lead's end-to-end tests.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { defaultAgentId } from '../../src/config/agent-id.js';
import { hashPassword, verifyPassword } from '../../src/security/password-hash.js';
import mqtt from 'mqtt';
import { announce, closedPort, runCli, startBroker, startResponder, type Responder, type TestBroker } from './cli-harness.js';

// Times in tables are the machine's local time (cell-format.ts); this file reads them in UTC.
process.env.TZ = 'UTC';

const ROOT = 'sma/gw-1';
const services = [
  { name: 'core-data', instanceId: 0, host: '127.0.0.1', port: 59880, status: 'RUNNING', health: 'UP', restarts: 0, source: 'REGISTRY', plugin: false, restartPolicy: 'on-unhealthy' },
  { name: 'device-mqtt', instanceId: 1, status: 'FAILED', health: 'DOWN', restarts: 5, source: 'MANIFEST', plugin: true, restartPolicy: 'always', exitCode: 2, lastExitAt: '2026-12-02T06:30:12.345Z' },
  { name: 'device-rest', instanceId: 2, status: 'BACKOFF', nextAttemptAt: '2026-12-02T06:30:14.000Z', health: 'DOWN', restarts: 1, source: 'REGISTRY', plugin: false, restartPolicy: 'on-failure', exitSignal: 'SIGKILL', lastExitAt: '2026-12-02T06:30:13.000Z' },
];

let broker: TestBroker;
let agent: Responder;

beforeAll(async () => {
  broker = await startBroker();
  agent = await startResponder(broker.url, ROOT, {
    'services.list': () => ({ ok: true, result: services }),
    'services.restart': (body) => ({
      ok: true,
      result: (body.names as string[]).map((name) =>
        services.some((s) => s.name === name)
          ? { name, result: 'OK', status: 'RUNNING' }
          : { name, result: 'NOT_FOUND', status: 'UNKNOWN', error: { code: 'NOT_FOUND', message: `no service named ${name}` } },
      ),
    }),
    'services.stop': () => ({ ok: true, result: services.map((s) => ({ name: s.name, result: 'OK', status: 'STOPPED' })) }),
    'config.get': (body) =>
      body.name === 'core-data'
        ? { ok: true, result: { name: 'core-data', config: { log: { level: 'info', file: '/var/log/x' }, port: 59880 } } }
        : { ok: false, error: { code: 'NOT_FOUND', message: `no service named ${String(body.name)}` } },
    'config.set': (body) => ({ ok: true, result: { name: body.name, config: body.config, restartRequired: true } }),
    'trust.get': () => ({ ok: true, result: [{ id: 'dev-1', trustLevel: 'NONE', deviceLevel: 'COMPLETE', pluginLevel: 'NONE', plugin: 'device-mqtt' }] }),
    'agent.info': () => ({ ok: true, result: { agentId: 'gw-1', version: '0.1.0', uptimeS: 3725, registry: 'SMA', services: 2, devices: 1 } }),
    // services.health is never answered: the timeout case.
  });
  await announce(broker.url, 'gw-1', 'ONLINE');
});

afterAll(async () => {
  await agent?.close();
  await broker?.close();
});

afterEach(() => {
  agent.requests.length = 0;
});

const ask = (...argv: string[]) => runCli([...argv, '--broker', broker.url, '--agent', 'gw-1']);

describe('a table for people, JSON for programs', () => {
  it('services list: aligned table, exit 0', async () => {
    const run = await ask('services', 'list');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout.split('\n')).toEqual([
      'NAME         STATUS                             HEALTH  RESTARTS  SOURCE    ADDRESS          POLICY        LAST EXIT',
      'core-data    RUNNING                            UP             0  REGISTRY  127.0.0.1:59880  on-unhealthy  -',
      'device-mqtt  FAILED                             DOWN           5  MANIFEST  -                always        status 2 at 2026-12-02 06:30:12',
      'device-rest  BACKOFF until 2026-12-02 06:30:14  DOWN           1  REGISTRY  -                on-failure    SIGKILL at 2026-12-02 06:30:13',
      '',
    ]);
    expect(agent.requests).toEqual([{ op: 'services.list', body: expect.objectContaining({ replyTo: expect.stringMatching(/^sma\/gw-1\/response\/[0-9a-f-]{36}$/) }) }]);
    expect(agent.requests[0].body.replyTo).toBe(`${ROOT}/response/${String(agent.requests[0].body.correlationId)}`);
  });

  it('services list --json prints the raw result', async () => {
    const run = await ask('services', 'list', '--json');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual(services);
  });

  it('--all-registered asks for deregistered services too', async () => {
    await ask('services', 'list', '--all-registered');
    expect(agent.requests[0].body).toMatchObject({ includeDeregistered: true });
  });

  it('a named service that is not there: the rest printed, one line on stderr, exit 1', async () => {
    const run = await ask('services', 'list', 'core-data', 'ghost');
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('core-data');
    expect(run.stdout).not.toContain('device-mqtt');
    expect(run.stderr).toBe('sma-bridge: NOT_FOUND: no service named ghost\n');
  });

  it('agent info as key/value lines', async () => {
    const run = await ask('agent', 'info');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^agent\s+gw-1$/m);
    expect(run.stdout).toMatch(/^uptime\s+1h02m$/m);
  });

  it('trust list passes --level and ids', async () => {
    const run = await ask('trust', 'list', '--level', 'none', 'dev-1');
    expect(run.code).toBe(0);
    expect(agent.requests[0].body).toMatchObject({ ids: ['dev-1'], level: 'NONE' });
    expect(run.stdout.split('\n')[1]).toMatch(/^dev-1\s+NONE\s+COMPLETE\s+device-mqtt\s+NONE\s+-$/);
  });
});

describe('batches and failures', () => {
  it('restart with one unknown name: per-item table, exit 1', async () => {
    const run = await ask('services', 'restart', 'core-data', 'ghost');
    expect(run.code).toBe(1);
    expect(agent.requests[0].body).toMatchObject({ names: ['core-data', 'ghost'] });
    expect(run.stdout).toMatch(/^core-data\s+OK\s+RUNNING\s+-$/m);
    expect(run.stdout).toMatch(/^ghost\s+NOT_FOUND\s+UNKNOWN\s+NOT_FOUND: no service named ghost$/m);
    expect(run.stderr).toBe('sma-bridge: restart failed for ghost\n');
  });

  it('stop --all sends {all: true} and exits 0 when every item is OK', async () => {
    const run = await ask('services', 'stop', '--all', '--json');
    expect(run.code).toBe(0);
    expect(agent.requests[0].body).toMatchObject({ all: true });
    expect(JSON.parse(run.stdout)).toHaveLength(services.length);
  });

  it('ok:false is one line with the code, exit 1', async () => {
    const run = await ask('config', 'get', 'nope');
    expect(run).toEqual({ code: 1, stdout: '', stderr: 'sma-bridge: NOT_FOUND: no service named nope\n' });
  });

  it('no answer: exit 1 after --timeout', async () => {
    const run = await ask('services', 'health', '--timeout', '300');
    expect(run).toEqual({ code: 1, stdout: '', stderr: 'sma-bridge: no answer from agent gw-1 within 300 ms\n' });
  });

  it('an agent that is not there, addressed by topic root: said at once, not after --timeout', async () => {
    const run = await runCli(['agent', 'info', '--broker', broker.url, '--topic-root', 'site/7/sma', '--timeout', '60000']);
    expect(run.stderr).toMatch(/^sma-bridge: no agent site\/7\/sma on mqtt:\/\/127\.0\.0\.1:\d+: nothing retained on site\/7\/sma\/status/);
    expect(run.code).toBe(1);
    expect(agent.requests).toEqual([]);
  });

  it('an unknown --agent: one clear line, long before --timeout', async () => {
    const started = Date.now();
    const run = await runCli(['services', 'list', '--broker', broker.url, '--agent', 'nosuch', '--timeout', '60000']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^sma-bridge: no agent nosuch on .*: nothing retained on sma\/nosuch\/status/);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    // Not a speed target (that is BENCHMARKS.md): only that it did not sit out the 60 s timeout.
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it('an OFFLINE --agent is named OFFLINE, with the time it went', async () => {
    await announce(broker.url, 'gone-gw', 'OFFLINE');
    const run = await runCli(['agent', 'info', '--broker', broker.url, '--agent', 'gone-gw']);
    expect(run).toEqual({ code: 1, stdout: '', stderr: `sma-bridge: agent gone-gw is OFFLINE since 1970-01-01T00:00:00.000Z (sma/gone-gw/status on ${broker.url})\n` });
  });
});

describe('config', () => {
  it('config set builds the nested partial object', async () => {
    const run = await ask('config', 'set', 'core-data', 'log.level=debug', 'port=59881', 'tags=["a"]', 'note=hello world');
    expect(run.code).toBe(0);
    expect(agent.requests[0].body).toMatchObject({ name: 'core-data', config: { log: { level: 'debug' }, port: 59881, tags: ['a'], note: 'hello world' } });
    expect(run.stdout).toMatch(/^log\.level\s+debug$/m);
    expect(run.stdout).toContain('core-data is running: restart it to apply the change');
  });

  it('config get with a dotted key asks for the top key and prints only the leaf', async () => {
    const run = await ask('config', 'get', 'core-data', 'log.level', '--json');
    expect(run.code).toBe(0);
    expect(agent.requests[0].body).toMatchObject({ name: 'core-data', keys: ['log'] });
    expect(JSON.parse(run.stdout)).toEqual({ name: 'core-data', config: { log: { level: 'info' } } });
  });

  it('config get of a key the service lacks: NOT_FOUND, exit 1, the keys it has still printed', async () => {
    const none = await ask('config', 'get', 'core-data', 'nokey');
    expect(none).toEqual({ code: 1, stdout: '', stderr: 'sma-bridge: NOT_FOUND: core-data has no configuration key nokey\n' });
    const some = await ask('config', 'get', 'core-data', 'port', 'log.nope');
    expect(some.code).toBe(1);
    expect(some.stdout).toMatch(/^port\s+59880$/m);
    expect(some.stderr).toBe('sma-bridge: NOT_FOUND: core-data has no configuration key log.nope\n');
  });
});

describe('bad usage is caught before connecting (exit 2)', () => {
  const cases: Array<[string[], RegExp]> = [
    [['services', 'restart', 'Bad Name'], /'Bad Name' is not a service name/],
    [['config', 'set', 'core-data', 'oops'], /'oops' is not KEY=VALUE/],
    [['trust', 'list', '--level', 'PARTIAL'], /--level must be NONE or COMPLETE/],
    [['services', 'list', '--timeout', 'soon'], /--timeout must be/],
  ];
  it.each(cases)('%j', async (argv, message) => {
    const run = await ask(...argv);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(agent.requests).toEqual([]);
  });
});

describe('finding the agent', () => {
  it('with no --agent, picks the single ONLINE agent from retained status', async () => {
    const lone = await startBroker();
    const responder = await startResponder(lone.url, 'sma/edge-9', { 'agent.info': () => ({ ok: true, result: { agentId: 'edge-9' } }) });
    try {
      await announce(lone.url, 'edge-9', 'ONLINE');
      await announce(lone.url, 'old-gw', 'OFFLINE');
      const run = await runCli(['agent', 'info', '--broker', lone.url, '--json']);
      expect(run.stderr).toBe('');
      expect(JSON.parse(run.stdout)).toEqual({ agentId: 'edge-9' });
      await announce(lone.url, 'edge-10', 'ONLINE');
      const two = await runCli(['agent', 'info', '--broker', lone.url]);
      expect(two).toEqual({ code: 2, stdout: '', stderr: 'sma-bridge: several agents are ONLINE (edge-10, edge-9): choose one with --agent ID\n' });
    } finally {
      await responder.close();
      await lone.close();
    }
  });

  it("among several ONLINE agents, the local agent (this host's default id) is the one asked", async () => {
    const shared = await startBroker();
    const local = defaultAgentId();
    const responder = await startResponder(shared.url, `sma/${local}`, { 'agent.info': () => ({ ok: true, result: { agentId: local } }) });
    try {
      await announce(shared.url, 'zz-other', 'ONLINE');
      await announce(shared.url, local, 'ONLINE');
      const run = await runCli(['agent', 'info', '--broker', shared.url, '--json']);
      expect(run.stderr).toBe('');
      expect(JSON.parse(run.stdout)).toEqual({ agentId: local });
    } finally {
      await responder.close();
      await shared.close();
    }
  });

  it('no ONLINE agent: exit 1 with a hint', async () => {
    const empty = await startBroker();
    try {
      const run = await runCli(['services', 'list', '--broker', empty.url]);
      expect(run.code).toBe(1);
      expect(run.stderr).toBe(`sma-bridge: no ONLINE agent under sma/+/status on ${empty.url}; is one running? (or pass --agent ID)\n`);
    } finally {
      await empty.close();
    }
  });
});

describe('the broker', () => {
  it('unreachable: one line naming it, exit 1', async () => {
    const url = `mqtt://127.0.0.1:${await closedPort()}`;
    const run = await runCli(['services', 'list', '--broker', url, '--agent', 'gw-1']);
    expect(run).toEqual({ code: 1, stdout: '', stderr: `sma-bridge: cannot reach broker ${url}: ECONNREFUSED\n` });
  });

  it('with users: scrypt-checked credentials, a wrong password refused', async () => {
    const passwordHash = await hashPassword('op-secret', { N: 1024, r: 8, p: 1 });
    const guarded = await startBroker({
      authenticate: (_client, username, password, done) => {
        void verifyPassword(password?.toString() ?? '', passwordHash).then((ok) => {
          if (ok && username === 'operator') return done(null, true);
          done(Object.assign(new Error('bad credentials'), { returnCode: 4 as const }), false);
        });
      },
    });
    try {
      const operator = await mqtt.connectAsync(guarded.url, { username: 'operator', password: 'op-secret', protocolVersion: 4, reconnectPeriod: 0 });
      await operator.publishAsync('sma/gw-1/status', JSON.stringify({ state: 'ONLINE' }), { qos: 1, retain: true });
      await operator.endAsync();
      const wrong = await runCli(['agent', 'info', '--broker', guarded.url, '--agent', 'gw-1', '--username', 'operator', '--password', 'guess']);
      expect(wrong).toEqual({ code: 1, stdout: '', stderr: `sma-bridge: broker ${guarded.url} refused the connection: Bad username or password\n` });
      const right = await runCli(['agent', 'info', '--broker', guarded.url, '--agent', 'gw-1', '--username', 'operator', '--password', 'op-secret', '--timeout', '200']);
      // Connected and asked: nobody answers on this broker, so the failure is the timeout, not the credentials.
      expect(right.stderr).toBe('sma-bridge: no answer from agent gw-1 within 200 ms\n');
    } finally {
      await guarded.close();
    }
  });
});

// Configuration: defaults, SMA_* overrides, and one line per bad key.
import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../src/config/load.js';
import { tempDir } from '../support/agent-process.js';

const file = (value: unknown): string => {
  const path = join(tempDir('sma-cfg-'), 'c.json');
  writeFileSync(path, typeof value === 'string' ? value : JSON.stringify(value));
  return path;
};

const problems = (fn: () => unknown): string[] => {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
};

describe('loadConfig', () => {
  it('fills the contract defaults with no file', () => {
    const c = loadConfig(undefined, {});
    expect(c.mqtt).toMatchObject({ mode: 'embedded', broker: { host: '127.0.0.1', port: 1883 } });
    expect(c.http).toEqual({ host: '127.0.0.1', port: 48090, allowPlaintext: false, keeper: { serviceRoot: 'edgex/v4', changeTopicPrefix: 'edgex/configs' } });
    expect(c.dataDir).toBe('./data');
    expect(c.health).toEqual({ allowedHosts: [], intervalMs: 10000, timeoutMs: 2000, retries: 3, restartDelayMs: 1000, backoffMaxMs: 60000, maxRestarts: 5, restartWindowMs: 600000, restartPolicy: 'on-unhealthy', healthyRunMs: 600000, startGraceMs: 30000 });
    expect(c.trust).toEqual({ heartbeatTimeoutMs: 600000, pluginCheckIntervalMs: 30000 });
    expect(c.operations.timeoutMs).toBe(30000);
    expect(c.executor.type).toBe('process');
    expect(c.registry.type).toBe('auto');
    expect(c.lwm2m.lifetimeS).toBe(300);
    expect(c.agent.id.length).toBeGreaterThan(0);
  });

  it('applies SMA_<SECTION>_<KEY> overrides, numbers as numbers and strings as strings', () => {
    const c = loadConfig(file({ health: { intervalMs: 5 } }), {
      SMA_HEALTH_INTERVALMS: '250',
      SMA_MQTT_MODE: 'external',
      SMA_MQTT_URL: 'mqtt://127.0.0.1:1999',
      SMA_AGENT_ID: '1234',
      SMA_DATADIR: '/tmp/x',
      SMA_MQTT_BROKER_PORT: '0',
      NOT_OURS: 'left alone',
    });
    expect(c.health.intervalMs).toBe(250);
    expect(c.mqtt.mode).toBe('external');
    expect(c.mqtt.url).toBe('mqtt://127.0.0.1:1999');
    expect(c.agent.id).toBe('1234');
    expect(c.dataDir).toBe('/tmp/x');
    expect(c.mqtt.broker.port).toBe(0);
  });

  it.each([
    [{ SMA_HEALTH_INTERVALSMS: '5' }, /^SMA_HEALTH_INTERVALSMS: not a configuration key \(did you mean SMA_HEALTH_INTERVALMS\?\)/],
    [{ SMA_FOO_BAR: '1' }, /^SMA_FOO_BAR: not a configuration key/],
    [{ SMA_HEALTH_INTERVALMS: 'soon' }, /^SMA_HEALTH_INTERVALMS \(health\.intervalMs\): .*[Ee]xpected number/],
    [{ SMA_HTTP_PORT: '99999' }, /^SMA_HTTP_PORT \(http\.port\): Number must be less than or equal to 65535/],
  ])('refuses the environment %j as it refuses a bad file key, naming the variable', (env, line) => {
    const lines = problems(() => loadConfig(undefined, env));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(line);
  });

  it("never prints an override's value (it may be a password)", () => {
    const lines = problems(() => loadConfig(undefined, { SMA_MQTT_URL: 'hunter2-password' }));
    expect(lines.join('\n')).toMatch(/^SMA_MQTT_URL \(mqtt\.url\): must start with mqtt:\/\//);
    expect(lines.join('\n')).not.toContain('hunter2');
  });

  it('reads the executor from the environment too (a union: its keys and the whole value)', () => {
    expect(loadConfig(undefined, { SMA_EXECUTOR_TYPE: 'process', SMA_EXECUTOR_STOPGRACEMS: '250' }).executor).toMatchObject({ type: 'process', stopGraceMs: 250 });
  });

  it.each([
    [{ health: { intervalMs: -1 } }, 'health.intervalMs'],
    [{ mqtt: { mode: 'sideways' } }, 'mqtt.mode'],
    [{ mqtt: { mode: 'external' } }, 'mqtt.url'],
    [{ registry: { type: 'zookeeper' } }, 'registry.type'],
    [{ unknownSection: 1 }, 'unknownSection: not a configuration key'],
    [{ services: [{ name: 'Bad!', check: { type: 'none' } }] }, 'services.0.name'],
    [{ executor: { type: 'command' } }, 'executor'],
    [{ lwm2m: { serverUri: 'http://x' } }, 'lwm2m.serverUri'],
    [{ lwm2m: { separateResponseAfterMs: 0 } }, 'lwm2m.separateResponseAfterMs'],
    [{ lwm2m: { separateResponseAfterMs: 93_001 } }, 'lwm2m.separateResponseAfterMs'],
    // A configured user may not take a built-in principal's name, nor hold a topic separator (HTTP users too).
    [{ http: { users: [{ username: 'rules', passwordHash: 'x', role: 'operator' }] } }, 'http.users.0.username'],
    [{ http: { users: [{ username: 'sparkplug:host', passwordHash: 'x', role: 'operator' }] } }, 'http.users.0.username'],
    [{ mqtt: { broker: { users: [{ username: 'local', passwordHash: 'x', role: 'operator' }] } } }, 'mqtt.broker.users.0.username'],
    [{ mqtt: { broker: { users: [{ username: 'lwm2m-server', passwordHash: 'x', role: 'service' }] } } }, 'mqtt.broker.users.0.username'],
  ])('refuses %j naming %s', (value, path) => {
    const lines = problems(() => loadConfig(file(value), {}));
    expect(lines.some((l) => l.startsWith(path))).toBe(true);
  });

  it('lists every bad key, one line each', () => {
    const lines = problems(() => loadConfig(file({ health: { retries: 0, timeoutMs: 'soon' }, http: { port: 70000 } }), {}));
    expect(lines).toHaveLength(3);
    expect(lines.map((l) => l.split(':')[0]).sort()).toEqual(['health.retries', 'health.timeoutMs', 'http.port']);
  });

  it('refuses a file that is not JSON, with its path', () => {
    const path = file('{ nope');
    const lines = problems(() => loadConfig(path, {}));
    expect(lines[0]).toContain(path);
  });

  it('takes the contract\'s spelling `"executor": "process"` as well as the object form', () => {
    expect(loadConfig(file({ executor: 'process' }), {}).executor).toEqual({ type: 'process', stopGraceMs: 5000, docker: { socket: '/var/run/docker.sock', stopGraceMs: 10000 } });
    expect(loadConfig(file({ executor: { type: 'process', stopGraceMs: 100, docker: { socket: '/run/docker.sock' } } }), {}).executor).toEqual({ type: 'process', stopGraceMs: 100, docker: { socket: '/run/docker.sock', stopGraceMs: 10000 } });
    expect(problems(() => loadConfig(file({ executor: 'bogus' }), {}))[0]).toMatch(/^executor/);
  });
});

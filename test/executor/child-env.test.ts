// A spawned service gets a unit's environment, not the agent's: a real child prints what it was given.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MINIMAL_PATH } from '../../src/executor/child-env.js';
import { ProcessExecutor } from '../../src/executor/process-executor.js';
import { capturingLogger, record } from '../supervisor/doubles.js';

const executors: ProcessExecutor[] = [];
const saved = { ...process.env };
afterEach(async () => {
  for (const e of executors.splice(0)) await e.close();
  for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
  Object.assign(process.env, saved);
});

/** Starts a child that prints its whole environment as one JSON line, and returns that environment. */
async function environmentOf(start: { env?: Record<string, string>; inheritEnv?: string[] }): Promise<Record<string, string>> {
  const { log } = capturingLogger();
  const chunks: Buffer[] = [];
  let ended = false;
  const output = (_name: string, stream: 'stdout' | 'stderr') => ({
    write: (chunk: Buffer) => void (stream === 'stdout' && chunks.push(chunk)),
    end: () => void (stream === 'stdout' && (ended = true)),
  });
  const executor = new ProcessExecutor({ stopGraceMs: 1000, log, output });
  executors.push(executor);
  await executor.start(record({ name: 'printenv', start: { command: process.execPath, args: ['-e', 'console.log(JSON.stringify(process.env))'], ...start } }));
  await vi.waitFor(() => expect(ended).toBe(true), { timeout: 10_000, interval: 20 });
  return JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, string>;
}

describe('the environment of a spawned service', () => {
  it('holds a minimal PATH, LANG and TZ, and its own env; none of the agent\'s secrets', async () => {
    process.env.SMA_MQTT_PASSWORD = 'agent-secret';
    process.env.AWS_SECRET_ACCESS_KEY = 'also-secret';
    process.env.LANG = 'C.UTF-8';
    process.env.TZ = 'Europe/Berlin';
    const env = await environmentOf({ env: { SERVICE_PORT: '8080' } });
    // Node itself may add nothing; what it sees is exactly what the executor gave.
    expect(env).toEqual({ PATH: MINIMAL_PATH, LANG: 'C.UTF-8', TZ: 'Europe/Berlin', SERVICE_PORT: '8080' });
  });

  it('leaves LANG and TZ out when the agent has none', async () => {
    delete process.env.LANG;
    delete process.env.TZ;
    expect(await environmentOf({})).toEqual({ PATH: MINIMAL_PATH });
  });

  it('passes what inheritEnv names, and the service\'s own env wins over it', async () => {
    process.env.EDGEX_SECURITY_SECRET_STORE = 'false';
    process.env.SMA_MQTT_PASSWORD = 'agent-secret';
    process.env.SHARED = 'from-agent';
    delete process.env.LANG;
    delete process.env.TZ;
    const env = await environmentOf({ inheritEnv: ['EDGEX_SECURITY_SECRET_STORE', 'SHARED', 'NOT_SET_ANYWHERE'], env: { SHARED: 'own', PATH: '/opt/bin' } });
    expect(env).toEqual({ PATH: '/opt/bin', EDGEX_SECURITY_SECRET_STORE: 'false', SHARED: 'own' });
  });
});

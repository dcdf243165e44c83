// The Consul provider. No Consul binary is installable on this machine, so these tests run against
// test/registry/fixtures/consul-double.ts, an HTTP double that follows Consul's documented request and
// response shapes; they show the provider speaks that API, not that a real Consul agrees in every detail.
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SmaError } from '../../src/errors.js';
import { ConsulRegistry } from '../../src/registry/consul-registry.js';
import { ConsulDouble } from './fixtures/consul-double.js';
import { remoteRegistryHarness } from '../support/remote-registry-harness.js';
import { registryContract, type RegistryHarness } from './registry-contract.js';

const silent = pino({ level: 'silent' });

async function consulHarness(): Promise<RegistryHarness> {
  const consul = new ConsulDouble();
  await consul.start();
  return remoteRegistryHarness('CONSUL', () => new ConsulRegistry({ url: consul.url, log: silent }), () => consul.stop());
}

registryContract('consul (HTTP double)', { writable: true }, consulHarness);

describe('consul provider specifics (against the HTTP double)', () => {
  let consul: ConsulDouble;
  let registry: ConsulRegistry;
  beforeEach(async () => {
    consul = new ConsulDouble();
    await consul.start();
    registry = new ConsulRegistry({ url: consul.url, log: silent, checkIntervalMs: 10_000, checkTimeoutMs: 1500, watchWaitS: 2 });
  });
  afterEach(async () => {
    await registry.close();
    await consul.stop();
  });

  const put = (path: string, body: unknown) => fetch(`${consul.url}${path}`, { method: 'PUT', body: JSON.stringify(body) });

  it('registers with the check shape EdgeX services use; other checks register without a Consul check', async () => {
    await registry.register({ name: 'core-data', host: '127.0.0.1', port: 59880, check: { type: 'http', url: 'http://127.0.0.1:59880/api/v3/ping' } });
    await registry.register({ name: 'device-x', check: { type: 'heartbeat' } });
    expect(consul.services.get('core-data')).toMatchObject({
      Service: 'core-data',
      Address: '127.0.0.1',
      Port: 59880,
      Check: { HTTP: 'http://127.0.0.1:59880/api/v3/ping', Interval: '10s', Timeout: '1500ms', DeregisterCriticalServiceAfter: '30m' },
    });
    expect(consul.services.get('device-x')?.Check).toBeUndefined();
    expect(consul.kv.has('sma-bridge/config/core-data')).toBe(true);
    expect(JSON.parse(Buffer.from(consul.kv.get('sma-bridge/services/core-data')!.Value!, 'base64').toString())).toMatchObject({ desired: 'RUNNING', restarts: 0 });
  });

  it('lists a service registered with Consul by someone else, not Consul itself', async () => {
    await put('/v1/agent/service/register', { Name: 'redis', ID: 'redis-1', Address: '10.0.0.5', Port: 6379 });
    const records = await registry.list();
    expect(records.map((r) => r.name)).toEqual(['redis']);
    expect(records[0]).toMatchObject({ host: '10.0.0.5', port: 6379, check: { type: 'none' }, desired: 'RUNNING', halted: false });
    // Stopping it deregisters the Consul id, which is not its name.
    await registry.deregister('redis');
    expect(consul.services.size).toBe(0);
    expect((await registry.get('redis'))!.halted).toBe(true);
  });

  it('shows a service Consul dropped from its catalog as halted; registering again revives it with its id', async () => {
    const first = await registry.register({ name: 'svc', check: { type: 'none' } });
    await put('/v1/agent/service/deregister/svc', {});
    expect(await registry.get('svc')).toMatchObject({ halted: true, instanceId: first.instanceId });
    const again = await registry.register({ name: 'svc', check: { type: 'none' } });
    expect(again).toMatchObject({ halted: false, instanceId: first.instanceId });
    expect(consul.services.has('svc')).toBe(true);
  });

  it('asks Consul on every list()', async () => {
    await registry.register({ name: 'svc', check: { type: 'none' } });
    const count = () => consul.requests.filter((r) => r === 'GET /v1/catalog/services').length;
    const before = count();
    await registry.list();
    await registry.list();
    expect(count()).toBe(before + 2);
  });

  it('calls onExternalChange when others change the catalog, not for its own registrations', async () => {
    let calls = 0;
    registry.onExternalChange(() => calls++);
    await vi.waitFor(() => expect(consul.requests.filter((r) => r === 'GET /v1/catalog/services').length).toBeGreaterThan(0));
    await registry.register({ name: 'own', check: { type: 'none' } });
    await registry.deregister('own');
    await registry.register({ name: 'own', check: { type: 'none' } });
    // The watch has answered for our own changes by the time it re-asks; give it that chance.
    await new Promise((r) => setTimeout(r, 300));
    expect(calls).toBe(0);
    await put('/v1/agent/service/register', { Name: 'theirs' });
    await vi.waitFor(() => expect(calls).toBe(1), { timeout: 10_000 });
  });

  it('reports an unreachable Consul as UNAVAILABLE', async () => {
    await consul.stop();
    const err = await registry.list().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SmaError);
    expect((err as SmaError).code).toBe('UNAVAILABLE');
    await expect(registry.ping()).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    await consul.start();
    await expect(registry.ping()).resolves.toBeUndefined();
  });
});

// The etcd provider against a real etcd (Debian's etcd-server) started here on free ports.
import { Etcd3 } from 'etcd3';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { SmaError } from '../../src/errors.js';
import { EtcdRegistry } from '../../src/registry/etcd-registry.js';
import { EtcdServer, etcdAvailable, peersRequired } from './fixtures/etcd-server.js';
import { remoteRegistryHarness } from '../support/remote-registry-harness.js';
import { registryContract, type RegistryHarness } from './registry-contract.js';

const skip = !etcdAvailable() && !peersRequired;
const silent = pino({ level: 'silent' });
let prefixSeq = 0;
const freshPrefix = () => `/sma-test-${process.pid}-${++prefixSeq}/`;

function etcdHarness(url: () => string): () => Promise<RegistryHarness> {
  return async () => {
    const prefix = freshPrefix();
    return remoteRegistryHarness('ETCD', () => EtcdRegistry.open({ hosts: [url()], prefix, log: silent, leaseTtlS: 5 }), async () => {
      const admin = new Etcd3({ hosts: url() });
      await admin.namespace(prefix).delete().all();
      admin.close();
    });
  };
}

describe.skipIf(skip)('etcd provider on a real etcd-server (skipped without Debian package etcd-server)', () => {
  let server: EtcdServer;
  beforeAll(async () => {
    server = await EtcdServer.start();
  });
  afterAll(async () => {
    await server?.stop();
  });

  registryContract('etcd', { writable: true }, etcdHarness(() => server.url));

  describe('etcd specifics', () => {
    let prefix: string;
    let other: Etcd3;
    let registry: EtcdRegistry;
    beforeEach(() => {
      prefix = freshPrefix();
      other = new Etcd3({ hosts: server.url });
      registry = EtcdRegistry.open({ hosts: [server.url], prefix, log: silent, leaseTtlS: 5 });
    });
    afterEach(async () => {
      await registry.close();
      await other.namespace(prefix).delete().all();
      other.close();
    });

    it('lists a service another client wrote into etcd, with defaults and an instance id persisted in etcd', async () => {
      await registry.register({ name: 'mine', check: { type: 'none' } });
      const ns = other.namespace(prefix);
      await ns.put('services/theirs').value(JSON.stringify({ host: '10.1.1.1', port: 7000, check: { type: 'heartbeat' } }));
      await ns.put('config/theirs').value(JSON.stringify({ mode: 'fast' }));
      const theirs = (await registry.list()).find((r) => r.name === 'theirs');
      expect(theirs).toMatchObject({
        host: '10.1.1.1',
        port: 7000,
        check: { type: 'heartbeat' },
        config: { mode: 'fast' },
        desired: 'RUNNING',
        restarts: 0,
        halted: false,
        source: 'REGISTRY',
      });
      expect(await ns.get('ids/theirs').string()).toBe(String(theirs!.instanceId));
      expect(theirs!.instanceId).not.toBe((await registry.get('mine'))!.instanceId);
    });

    it('asks etcd afresh on every list(): a change by another client shows at once', async () => {
      await registry.register({ name: 'svc', check: { type: 'none' } });
      expect((await registry.list())[0]!.restarts).toBe(0);
      const ns = other.namespace(prefix);
      const stored = JSON.parse((await ns.get('services/svc').string())!) as Record<string, unknown>;
      await ns.put('services/svc').value(JSON.stringify({ ...stored, restarts: 9 }));
      expect((await registry.list())[0]!.restarts).toBe(9);
      await ns.delete().key('services/svc');
      expect(await registry.list()).toEqual([]);
    });

    it('skips a record it cannot use and keeps serving the others', async () => {
      await registry.register({ name: 'good', check: { type: 'none' } });
      const ns = other.namespace(prefix);
      await ns.put('services/broken').value('{not json');
      await ns.put('services/bad-port').value(JSON.stringify({ port: 'eighty' }));
      await ns.put('services/Upper_Case').value(JSON.stringify({}));
      expect((await registry.list()).map((r) => r.name)).toEqual(['good']);
    });

    it('calls onExternalChange for changes by other clients, not for its own writes', async () => {
      const sawForeign: boolean[] = [];
      registry.onExternalChange(() => {
        void registry.get('foreign').then((r) => sawForeign.push(r !== undefined));
      });
      await registry.register({ name: 'own-1', check: { type: 'none' } });
      await registry.update('own-1', { restarts: 1 });
      await registry.register({ name: 'own-2', check: { type: 'none' } });
      // Give the watch time to deliver the own writes' events before the foreign one is made.
      await new Promise((r) => setTimeout(r, 300));
      expect(sawForeign).toEqual([]);
      await other.namespace(prefix).put('services/foreign').value(JSON.stringify({ check: { type: 'none' } }));
      await vi.waitFor(() => expect(sawForeign.length).toBeGreaterThan(0), { timeout: 10_000 });
      expect(sawForeign.every(Boolean)).toBe(true);
      await other.namespace(prefix).put('config/own-1').value(JSON.stringify({ a: 1 }));
      await vi.waitFor(() => expect(sawForeign.length).toBeGreaterThan(1), { timeout: 10_000 });
    });

    it('keeps a leased alive/{name} key for each non-halted service and revokes it on deregistration', async () => {
      const ns = other.namespace(prefix);
      await registry.register({ name: 'svc', check: { type: 'none' } });
      await vi.waitFor(async () => expect(await ns.get('alive/svc').string()).not.toBeNull(), { timeout: 10_000 });
      const kv = (await ns.get('alive/svc').exec()).kvs[0]!;
      expect(kv.lease).not.toBe('0');
      expect(registry.presentNames()).toEqual(['svc']);
      await registry.deregister('svc');
      await vi.waitFor(async () => expect(await ns.get('alive/svc').string()).toBeNull(), { timeout: 10_000 });
      expect(await ns.get('services/svc').string()).toContain('"halted":true');
    });

    it('two agents on the same prefix agree on instance ids', async () => {
      const second = EtcdRegistry.open({ hosts: [server.url], prefix, log: silent });
      try {
        const recs = await Promise.all([
          registry.register({ name: 'a', check: { type: 'none' } }),
          second.register({ name: 'b', check: { type: 'none' } }),
          registry.register({ name: 'c', check: { type: 'none' } }),
          second.register({ name: 'd', check: { type: 'none' } }),
        ]);
        expect(new Set(recs.map((r) => r.instanceId)).size).toBe(4);
        expect((await second.get('a'))!.instanceId).toBe(recs[0]!.instanceId);
      } finally {
        await second.close();
      }
    });

    it('reports an unreachable etcd as UNAVAILABLE within its call timeout', async () => {
      const nowhere = EtcdRegistry.open({ hosts: ['http://127.0.0.1:9'], prefix, log: silent, callTimeoutMs: 500 });
      try {
        const err = await nowhere.list().catch((e: unknown) => e);
        expect(err).toBeInstanceOf(SmaError);
        expect((err as SmaError).code).toBe('UNAVAILABLE');
        await expect(nowhere.ping()).rejects.toMatchObject({ code: 'UNAVAILABLE' });
      } finally {
        await nowhere.close();
      }
    });
  });
});

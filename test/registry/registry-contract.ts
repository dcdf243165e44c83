// The registry provider contract: one suite every provider runs (after MQTT.js's abstract_store).
// A provider's test file calls registryContract with a harness that opens it over real backing data.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SmaError } from '../../src/errors.js';
import type { RegistryKind, ServiceRecord, ServiceRegistration } from '../../src/model.js';
import type { Registry } from '../../src/registry/registry.js';

export interface RegistryHarness {
  kind: RegistryKind;
  /** Opens the provider. A read-only one serves `manifest`; a writable one ignores it and starts empty. */
  open(manifest: ServiceRegistration[]): Promise<Registry>;
  /** Closes the open provider and opens a new one over the same backing data: an agent restart. */
  reopen(manifest: ServiceRegistration[]): Promise<Registry>;
  /** Closes whatever is open and removes the backing data. */
  cleanup(): Promise<void>;
}

export const alpha: ServiceRegistration = {
  name: 'alpha',
  host: '127.0.0.1',
  port: 48101,
  check: { type: 'http', url: 'http://127.0.0.1:48101/ping' },
  config: { level: 'info', limits: { rps: 10 } },
};
export const beta: ServiceRegistration = { name: 'beta.svc-2', check: { type: 'heartbeat' }, plugin: true };

export interface ContractOptions {
  /** false for the static manifest: register/deregister refused, services come from the manifest. */
  writable: boolean;
}

export function registryContract(label: string, options: ContractOptions, makeHarness: () => Promise<RegistryHarness>): void {
  const { writable } = options;
  describe(`registry contract: ${label}`, () => {
    let h: RegistryHarness;
    let registry: Registry;
    const seed = [alpha, beta];

    /** The seed services, through register() when the provider takes registrations. */
    async function openSeeded(): Promise<Registry> {
      const r = await h.open(seed);
      if (writable) for (const reg of seed) await r.register(reg);
      return r;
    }

    beforeEach(async () => {
      h = await makeHarness();
      registry = await openSeeded();
    });
    afterEach(async () => {
      await h.cleanup();
    });

    const byName = (records: ServiceRecord[]) => new Map(records.map((r) => [r.name, r]));

    it('reports its kind', () => {
      expect(registry.kind).toBe(h.kind);
    });

    it('lists every service with the registration and fresh runtime state', async () => {
      const records = byName(await registry.list());
      expect([...records.keys()].sort()).toEqual(['alpha', 'beta.svc-2']);
      const a = records.get('alpha')!;
      expect(a).toMatchObject({
        host: '127.0.0.1',
        port: 48101,
        check: { type: 'http', url: 'http://127.0.0.1:48101/ping' },
        plugin: false,
        config: { level: 'info', limits: { rps: 10 } },
        desired: 'RUNNING',
        failed: false,
        restarts: 0,
        halted: false,
        source: writable ? 'REGISTRY' : 'MANIFEST',
      });
      expect(records.get('beta.svc-2')).toMatchObject({ plugin: true, config: {}, check: { type: 'heartbeat' } });
    });

    it('gives each name its own LwM2M instance id', async () => {
      const ids = (await registry.list()).map((r) => r.instanceId);
      expect(new Set(ids).size).toBe(ids.length);
      for (const id of ids) expect(Number.isInteger(id) && id >= 0 && id <= 65534).toBe(true);
    });

    it('answers undefined for a name it does not know', async () => {
      expect(await registry.get('nobody')).toBeUndefined();
      expect(await registry.update('nobody', { restarts: 1 })).toBeUndefined();
    });

    it('patches runtime state and leaves the rest alone', async () => {
      const before = (await registry.get('alpha'))!;
      const after = await registry.update('alpha', { desired: 'STOPPED', restarts: 3, failed: true, config: { level: 'debug' } });
      // Each write bumps the record's version: the supervisor tells a snapshot older than its own save by it.
      expect(after).toEqual({ ...before, desired: 'STOPPED', restarts: 3, failed: true, config: { level: 'debug' }, version: (before.version ?? 0) + 1 });
      expect(await registry.get('alpha')).toEqual(after);
      const again = await registry.update('alpha', { desired: 'RUNNING' });
      expect(again!.version).toBe(after!.version! + 1);
      expect((await registry.get('beta.svc-2'))!.restarts).toBe(0);
    });

    it('hands out copies: changing a returned record changes nothing stored', async () => {
      const got = (await registry.get('alpha'))!;
      got.restarts = 99;
      (got.config.limits as { rps: number }).rps = 0;
      const listed = (await registry.list()).find((r) => r.name === 'alpha')!;
      expect(listed.restarts).toBe(0);
      expect(listed.config).toEqual({ level: 'info', limits: { rps: 10 } });
    });

    it('keeps ids, restarts, desired state and configs across an agent restart', async () => {
      await registry.update('alpha', { restarts: 2, desired: 'STOPPED', config: { level: 'warn', extra: [1, 2] } });
      await registry.update('beta.svc-2', { failed: true });
      const before = byName(await registry.list());
      registry = await h.reopen(seed);
      const after = byName(await registry.list());
      expect(after).toEqual(before);
      expect(after.get('alpha')).toMatchObject({ restarts: 2, desired: 'STOPPED', config: { level: 'warn', extra: [1, 2] } });
    });

    if (writable) {
      it('registers a new name with fresh state, and finds it by name', async () => {
        const rec = await registry.register({ name: 'gamma', check: { type: 'none' }, port: 9000 });
        expect(rec).toMatchObject({ name: 'gamma', port: 9000, desired: 'RUNNING', restarts: 0, halted: false, source: 'REGISTRY' });
        expect(await registry.get('gamma')).toEqual(rec);
        const ids = (await registry.list()).map((r) => r.instanceId);
        expect(new Set(ids).size).toBe(3);
      });

      it('re-registration replaces the address and check, keeps state, and lets stored config keys win', async () => {
        const first = (await registry.get('alpha'))!;
        await registry.update('alpha', { restarts: 4, desired: 'STOPPED', config: { level: 'debug', limits: { rps: 5 } } });
        const again = await registry.register({
          name: 'alpha',
          host: '10.0.0.7',
          port: 9001,
          check: { type: 'process' },
          config: { level: 'info', limits: { rps: 10, burst: 20 }, newKey: true },
        });
        expect(again).toMatchObject({
          host: '10.0.0.7',
          port: 9001,
          check: { type: 'process' },
          instanceId: first.instanceId,
          restarts: 4,
          desired: 'STOPPED',
          config: { level: 'debug', limits: { rps: 5, burst: 20 }, newKey: true },
        });
        expect(await registry.get('alpha')).toEqual(again);
      });

      it('deregistration is a soft delete; a new registration revives the record with its id', async () => {
        const first = (await registry.get('beta.svc-2'))!;
        const gone = await registry.deregister('beta.svc-2');
        expect(gone).toMatchObject({ name: 'beta.svc-2', halted: true });
        expect((await registry.list()).find((r) => r.name === 'beta.svc-2')).toMatchObject({ halted: true, instanceId: first.instanceId });
        expect(await registry.deregister('nobody')).toBeUndefined();
        const back = await registry.register(beta);
        expect(back).toMatchObject({ halted: false, instanceId: first.instanceId });
      });

      it('never reuses an id, across restarts too', async () => {
        const known = new Set((await registry.list()).map((r) => r.instanceId));
        await registry.deregister('alpha');
        registry = await h.reopen(seed);
        const fresh = await registry.register({ name: 'delta', check: { type: 'none' } });
        expect(known.has(fresh.instanceId)).toBe(false);
        expect((await registry.get('alpha'))!.halted).toBe(true);
      });

      it('gives distinct ids to registrations made at the same time', async () => {
        const names = Array.from({ length: 12 }, (_, i) => `svc-${i}`);
        const recs = await Promise.all(names.map((name) => registry.register({ name, check: { type: 'none' } })));
        const ids = [...recs.map((r) => r.instanceId), ...(await registry.list()).filter((r) => !names.includes(r.name)).map((r) => r.instanceId)];
        expect(new Set(ids).size).toBe(14);
        expect((await registry.list()).length).toBe(14);
      });
    } else {
      it('refuses registrations and deregistrations with UNAVAILABLE', async () => {
        const refused = (p: Promise<unknown>) =>
          p.then(
            () => 'accepted',
            (err: unknown) => (err instanceof SmaError ? err.code : 'other'),
          );
        expect(await refused(registry.register({ name: 'gamma', check: { type: 'none' } }))).toBe('UNAVAILABLE');
        expect(await refused(registry.deregister('alpha'))).toBe('UNAVAILABLE');
        expect((await registry.list()).length).toBe(2);
      });
    }
  });
}

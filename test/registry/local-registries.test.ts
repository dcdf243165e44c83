// The agent's own providers on a real LevelDB in a temporary directory: embedded (sma) and manifest (none).
import { afterEach, describe, expect, it } from 'vitest';
import { SmaError } from '../../src/errors.js';
import type { ServiceRegistration } from '../../src/model.js';
import { EmbeddedRegistry } from '../../src/registry/embedded-registry.js';
import { ManifestRegistry } from '../../src/registry/manifest-registry.js';
import type { Registry } from '../../src/registry/registry.js';
import { TempStore } from './fixtures/temp-store.js';
import { registryContract, type RegistryHarness } from './registry-contract.js';

function localHarness(kind: 'SMA' | 'NONE'): () => Promise<RegistryHarness> {
  return async () => {
    const temp = await TempStore.open();
    let current: Registry | undefined;
    const make = (manifest: ServiceRegistration[]): Promise<Registry> =>
      kind === 'SMA' ? EmbeddedRegistry.open(temp.store) : ManifestRegistry.open(temp.store, manifest);
    return {
      kind,
      async open(manifest) {
        current = await make(manifest);
        return current;
      },
      async reopen(manifest) {
        await current?.close();
        await temp.reopen();
        current = await make(manifest);
        return current;
      },
      async cleanup() {
        await current?.close();
        await temp.remove();
      },
    };
  };
}

registryContract('embedded (LevelDB)', { writable: true }, localHarness('SMA'));
registryContract('manifest (registry.type none)', { writable: false }, localHarness('NONE'));

describe('embedded and manifest providers', () => {
  let temp: TempStore | undefined;
  afterEach(async () => {
    await temp?.remove();
    temp = undefined;
  });

  const svc = (name: string, config?: Record<string, unknown>): ServiceRegistration => ({ name, check: { type: 'none' }, ...(config && { config }) });

  it('keep one instance id per name when the agent switches between sma and none', async () => {
    temp = await TempStore.open();
    const embedded = await EmbeddedRegistry.open(temp.store);
    const a = await embedded.register(svc('a'));
    const b = await embedded.register(svc('b'));
    await embedded.close();
    const manifest = await ManifestRegistry.open(temp.store, [svc('c'), svc('b'), svc('a')]);
    const ids = new Map((await manifest.list()).map((r) => [r.name, r.instanceId]));
    expect(ids.get('a')).toBe(a.instanceId);
    expect(ids.get('b')).toBe(b.instanceId);
    expect([a.instanceId, b.instanceId]).not.toContain(ids.get('c'));
  });

  it('manifest: a stored config stays as set (removed keys stay removed); keys added to the manifest later show up', async () => {
    temp = await TempStore.open();
    let manifest = await ManifestRegistry.open(temp.store, [svc('a', { level: 'info', port: 1 })]);
    await manifest.update('a', { config: { level: 'debug' } });
    expect((await manifest.get('a'))!.config).toEqual({ level: 'debug' });
    await manifest.close();
    await temp.reopen();
    manifest = await ManifestRegistry.open(temp.store, [svc('a', { level: 'info', port: 1, added: true })]);
    expect((await manifest.get('a'))!.config).toEqual({ level: 'debug', added: true });
  });

  it('manifest: refuses duplicate names and a halted patch', async () => {
    temp = await TempStore.open();
    await expect(ManifestRegistry.open(temp.store, [svc('a'), svc('a')])).rejects.toThrow(/services\[1\]\.name: duplicate/);
    const manifest = await ManifestRegistry.open(temp.store, [svc('a')]);
    const err = await manifest.update('a', { halted: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SmaError);
    expect((err as SmaError).code).toBe('UNAVAILABLE');
    expect((await manifest.get('a'))!.halted).toBe(false);
  });

  it('embedded: a write is on disk when register() resolves (a new store handle reads it)', async () => {
    temp = await TempStore.open();
    const embedded = await EmbeddedRegistry.open(temp.store);
    await embedded.register(svc('a', { k: 1 }));
    await embedded.update('a', { restarts: 7 });
    await temp.reopen();
    const again = await EmbeddedRegistry.open(temp.store);
    expect(await again.get('a')).toMatchObject({ restarts: 7, config: { k: 1 } });
  });

  it('embedded: the manifest’s services are records beside the registered ones, kept in line with the file', async () => {
    temp = await TempStore.open();
    const start = (arg: string) => ({ command: '/bin/sleep', args: [arg] });
    let reg = await EmbeddedRegistry.open(temp.store, { manifest: [{ ...svc('m1'), start: start('1') }] });
    await reg.register(svc('dyn'));
    await reg.update('m1', { restarts: 3 });
    expect((await reg.list()).map((r) => [r.name, r.source])).toEqual([['m1', 'MANIFEST'], ['dyn', 'REGISTRY']]);
    await reg.close();

    // The file changed: m1's start command, a new m2, and an entry naming the registered service.
    await temp.reopen();
    reg = await EmbeddedRegistry.open(temp.store, { manifest: [{ ...svc('m1'), start: start('2') }, svc('m2'), { ...svc('dyn'), start: start('x') }] });
    expect(await reg.get('m1')).toMatchObject({ source: 'MANIFEST', start: start('2'), restarts: 3, halted: false });
    expect(await reg.get('m2')).toMatchObject({ source: 'MANIFEST', halted: false });
    expect((await reg.get('dyn'))?.start).toBeUndefined();
    const version = (await reg.get('m2'))!.version;
    await reg.close();

    // Taken out of the file: halted; an unchanged entry is not rewritten.
    await temp.reopen();
    reg = await EmbeddedRegistry.open(temp.store, { manifest: [svc('m2')] });
    expect(await reg.get('m1')).toMatchObject({ halted: true });
    expect((await reg.get('m2'))!.version).toBe(version);
    expect(await reg.get('dyn')).toMatchObject({ halted: false });
    await reg.close();
  });
});

// The tracker's state in the store, in chunks of 4096 devices per field (typed arrays as base64), plus
// one meta record (device count, plugin levels, the outbox's id prefix and sequence). Level flags, the
// outbox records of their events and the meta record always land together in one synced LevelDB batch,
// so what is on disk is exactly the levels decided, with every event not yet acknowledged.
import { atomicWrite, type BatchOp, type Section, type Store } from '../store/store.js';
import type { OutboxState } from './trust-outbox.js';
import type { DeviceTable } from './device-table.js';
import { CHUNK_SHIFT, CHUNK_SIZE, D_FLAGS, D_IDS, D_PLUGIN, D_TIMES, type TakenChunk } from './dirty-chunks.js';
import type { PluginTable, SavedPlugin } from './plugin-table.js';

export const TRUST_SECTION = 'trust';
const VERSION = 1;

interface Meta {
  version: number;
  size: number;
  plugins: SavedPlugin[];
  savedAt: number;
  outbox?: OutboxState;
}

export interface LoadedCheckpoint {
  savedAt: number;
  outbox?: OutboxState;
}

const key = (field: string, chunk: number): string => `${field}/${chunk.toString().padStart(6, '0')}`;
const propsKey = (index: number): string => `pr/${index.toString().padStart(8, '0')}`;

type Typed = Uint8Array | Uint16Array | Float64Array;

function encode(array: Typed, start: number, count: number): string {
  const bytes = array.BYTES_PER_ELEMENT;
  return Buffer.from(array.buffer, array.byteOffset + start * bytes, count * bytes).toString('base64');
}

function decodeInto(array: Typed, start: number, count: number, value: unknown): void {
  if (typeof value !== 'string') return;
  const source = Buffer.from(value, 'base64');
  const bytes = array.BYTES_PER_ELEMENT;
  const target = new Uint8Array(array.buffer, array.byteOffset + start * bytes, count * bytes);
  // Copy bytes (not a view): a decoded Buffer may sit at an offset a Float64Array cannot start at.
  target.set(source.subarray(0, target.length));
}

export class TrustCheckpoint {
  readonly section: Section<unknown>;

  constructor(private readonly store: Store) {
    this.section = store.section<unknown>(TRUST_SECTION);
  }

  /**
   * The closing write of a flush, encoded now (synchronously, so it matches the decisions queued so far):
   * the level flags of the taken chunks, the dirty properties and the meta record. It goes to the store
   * last, after `chunkOps` for the other fields, so the meta record never counts devices whose ids,
   * plugins or times are not on disk yet.
   */
  closingOps(
    table: DeviceTable,
    plugins: PluginTable,
    taken: readonly TakenChunk[],
    props: Iterable<number>,
    at: number,
    outbox: OutboxState,
  ): BatchOp<unknown>[] {
    const ops: BatchOp<unknown>[] = [];
    for (const { chunk, fields } of taken) {
      const start = chunk << CHUNK_SHIFT;
      const count = Math.min(CHUNK_SIZE, table.size - start);
      if (count > 0 && fields & D_FLAGS) ops.push({ type: 'put', key: key('fl', chunk), value: encode(table.flags, start, count) });
    }
    for (const index of props) {
      const value = table.properties.get(index);
      ops.push(value ? { type: 'put', key: propsKey(index), value } : { type: 'del', key: propsKey(index) });
    }
    const meta: Meta = { version: VERSION, size: table.size, plugins: plugins.save(), savedAt: at, outbox };
    ops.push({ type: 'put', key: 'meta', value: meta });
    return ops;
  }

  /**
   * Ids, plugin indexes and times of the taken chunks, encoded when called. They carry no level decision,
   * so writing them newer than the closing write is harmless: ids only grow, and a later time only
   * moves a deadline later, as the heartbeat behind it did.
   */
  chunkOps(table: DeviceTable, taken: readonly TakenChunk[]): BatchOp<unknown>[] {
    const ops: BatchOp<unknown>[] = [];
    for (const { chunk, fields } of taken) {
      const start = chunk << CHUNK_SHIFT;
      const count = Math.min(CHUNK_SIZE, table.size - start);
      if (count <= 0) continue;
      if (fields & D_IDS) ops.push({ type: 'put', key: key('id', chunk), value: table.ids.slice(start, start + count) });
      if (fields & D_PLUGIN) ops.push({ type: 'put', key: key('pl', chunk), value: encode(table.plugin, start, count) });
      if (fields & D_TIMES) {
        ops.push({ type: 'put', key: key('rf', chunk), value: encode(table.ref, start, count) });
        ops.push({ type: 'put', key: key('lb', chunk), value: encode(table.lastBeat, start, count) });
      }
    }
    return ops;
  }

  /** One atomic batch; with `sync`, resolved once it is on the disk (fsync). */
  async write(ops: BatchOp<unknown>[], options: { sync?: boolean } = {}): Promise<void> {
    await atomicWrite(
      this.store,
      ops.map((op) => ({ ...op, section: TRUST_SECTION })),
      options,
    );
  }

  /** Fills an empty table from the store; returns when it was saved, or undefined when nothing was. */
  async load(table: DeviceTable, plugins: PluginTable): Promise<LoadedCheckpoint | undefined> {
    const meta = (await this.section.get('meta')) as Meta | undefined;
    if (!meta || meta.version !== VERSION) return undefined;
    plugins.restore(meta.plugins);
    table.ensureCapacity(meta.size);
    const chunks = (meta.size + CHUNK_SIZE - 1) >>> CHUNK_SHIFT;
    for (let chunk = 0; chunk < chunks; chunk++) {
      const start = chunk << CHUNK_SHIFT;
      const ids = await this.section.get(key('id', chunk));
      if (!Array.isArray(ids)) break; // cannot happen with atomic batches; keep what is whole
      const count = Math.min(ids.length, meta.size - start);
      decodeInto(table.flags, start, count, await this.section.get(key('fl', chunk)));
      decodeInto(table.plugin, start, count, await this.section.get(key('pl', chunk)));
      decodeInto(table.ref, start, count, await this.section.get(key('rf', chunk)));
      decodeInto(table.lastBeat, start, count, await this.section.get(key('lb', chunk)));
      table.adoptIds((ids as string[]).slice(0, count));
      if (count < CHUNK_SIZE) break;
    }
    for await (const [k, value] of this.section.entries({ gte: 'pr/', lt: 'pr0' })) {
      const index = Number(k.slice(3));
      if (index < table.size && value && typeof value === 'object') table.properties.set(index, value as Record<string, unknown>);
    }
    return { savedAt: meta.savedAt, outbox: meta.outbox };
  }
}

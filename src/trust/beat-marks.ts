// Heartbeats that changed no level, written coarsely (issue 14: SD-card wear). A restart needs each COMPLETE
// device's deadline, not its exact last beat: so every checkpoint writes one bit per device ("beat since the
// last mark") stamped with the checkpoint's time, instead of rewriting 16 bytes of times per device. At load a
// device's time is the newest mark holding its bit, a little later than its real beat (by at most one
// checkpoint interval), so a deadline after a restart comes at most that much late, never early.
// Marks older than the heartbeat timeout are removed: a device whose newest mark is that old has timed out,
// and its timeout wrote its exact times with the level.
import type { BatchOp } from '../store/store.js';
import type { DeviceTable } from './device-table.js';

export const MARK_PREFIX = 'bm/';
const markKey = (at: number): string => `${MARK_PREFIX}${Math.floor(at).toString().padStart(15, '0')}`;

export class BeatMarks {
  private bits = new Uint8Array(128);
  private dirty = false;
  /** Times of the marks in the store, oldest first. */
  private saved: number[] = [];

  ensureCapacity(devices: number): void {
    const bytes = (devices + 7) >>> 3;
    if (bytes <= this.bits.length) return;
    const bigger = new Uint8Array(Math.max(bytes, this.bits.length * 2));
    bigger.set(this.bits);
    this.bits = bigger;
  }

  /** The hot path: one bit, no allocation. */
  mark(i: number): void {
    this.bits[i >>> 3] |= 1 << (i & 7);
    this.dirty = true;
  }

  /**
   * The write of one mark stamped `at` for the first `size` devices (none when nothing beat), plus the removal
   * of marks older than `keepMs`. Taking it clears the bits; `restore` puts them back after a failed write.
   */
  take(size: number, at: number, keepMs: number): { ops: BatchOp<unknown>[]; bits?: Uint8Array } {
    const ops: BatchOp<unknown>[] = [];
    while (this.saved.length > 0 && this.saved[0] < at - keepMs) ops.push({ type: 'del', key: markKey(this.saved.shift()!) });
    if (!this.dirty) return { ops };
    const bits = this.bits.slice(0, (size + 7) >>> 3);
    this.bits.fill(0);
    this.dirty = false;
    ops.push({ type: 'put', key: markKey(at), value: Buffer.from(bits.buffer, bits.byteOffset, bits.byteLength).toString('base64') });
    this.saved.push(at);
    return { ops, bits };
  }

  restore(bits: Uint8Array | undefined): void {
    if (!bits) return;
    for (let k = 0; k < bits.length; k++) this.bits[k] |= bits[k];
    this.dirty = true;
  }

  /** Removes every mark (exact times are being written for every device): the ops for that. */
  clearAll(): BatchOp<unknown>[] {
    const ops = this.saved.map((at) => ({ type: 'del' as const, key: markKey(at) }));
    this.saved = [];
    this.bits.fill(0);
    this.dirty = false;
    return ops;
  }

  /** Applies the saved marks (`entries` of the MARK_PREFIX range, oldest first) to the loaded times. */
  async load(entries: AsyncIterable<[string, unknown]>, table: DeviceTable): Promise<void> {
    for await (const [key, value] of entries) {
      const at = Number(key.slice(MARK_PREFIX.length));
      if (!Number.isFinite(at) || typeof value !== 'string') continue;
      this.saved.push(at);
      const bits = Buffer.from(value, 'base64');
      const n = Math.min(table.size, bits.length * 8);
      for (let i = 0; i < n; i++) {
        if ((bits[i >>> 3] & (1 << (i & 7))) === 0) continue;
        if (at > table.ref[i]) table.ref[i] = at;
        if (at > table.lastBeat[i]) table.lastBeat[i] = at;
      }
    }
  }
}

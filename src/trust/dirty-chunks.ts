// Which parts of the device table changed since they were last written, by chunk of 4096 devices and by
// field. "Soon" fields go out with the next write of any kind (they carry a level decision); "lazy"
// fields (a flag that changed no level) wait for the periodic checkpoint. Heartbeats that change nothing
// else are not tracked here at all: they are beat marks (beat-marks.ts).

export const CHUNK_SHIFT = 12;
export const CHUNK_SIZE = 1 << CHUNK_SHIFT;

export const D_IDS = 1;
export const D_FLAGS = 2;
export const D_PLUGIN = 4;
export const D_TIMES = 8;
export const D_ALL = D_IDS | D_FLAGS | D_PLUGIN | D_TIMES;

export interface TakenChunk {
  chunk: number;
  fields: number;
}

export class DirtyChunks {
  private soon = new Uint8Array(1);
  private lazy = new Uint8Array(1);

  /** Sizes the maps for `capacity` devices; call whenever the device table grows. */
  ensureCapacity(capacity: number): void {
    const chunks = (capacity + CHUNK_SIZE - 1) >>> CHUNK_SHIFT;
    if (chunks <= this.soon.length) return;
    const soon = new Uint8Array(chunks);
    soon.set(this.soon);
    const lazy = new Uint8Array(chunks);
    lazy.set(this.lazy);
    this.soon = soon;
    this.lazy = lazy;
  }

  mark(index: number, fields: number): void {
    this.soon[index >>> CHUNK_SHIFT] |= fields;
  }

  markLazy(index: number, fields: number): void {
    this.lazy[index >>> CHUNK_SHIFT] |= fields;
  }

  /**
   * What a flush writes now (and forgets): the soon fields, plus the lazy ones with `includeLazy`, plus the
   * times of the first `allTimesOf` devices (a closing checkpoint writes every exact time once).
   */
  take(includeLazy: boolean, allTimesOf = 0): TakenChunk[] {
    const out: TakenChunk[] = [];
    const timed = (allTimesOf + CHUNK_SIZE - 1) >>> CHUNK_SHIFT;
    for (let c = 0; c < this.soon.length; c++) {
      const fields = this.soon[c] | (includeLazy ? this.lazy[c] : 0) | (c < timed ? D_TIMES : 0);
      if (fields === 0) continue;
      // A field written now is written whole: its lazy mark is settled too.
      this.soon[c] = 0;
      this.lazy[c] &= ~fields;
      out.push({ chunk: c, fields });
    }
    return out;
  }

  /** Puts back what a failed write took, so the next write tries again. */
  restore(taken: readonly TakenChunk[]): void {
    for (const { chunk, fields } of taken) this.soon[chunk] |= fields;
  }
}

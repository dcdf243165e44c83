// Level changes decided but not yet published, kept as typed rows (device index, reason, level, time):
// a plugin sweep over a million devices queues a million decisions without a million objects.
import type { TrustReason } from '../events.js';

export const REASONS: readonly TrustReason[] = [
  'HEARTBEAT_TIMEOUT',
  'HEARTBEAT',
  'PLUGIN_DOWN',
  'PLUGIN_UP',
  'PLUGIN_REPORT',
  'REREGISTERED',
  'REMOVED',
];
const REASON_CODE = new Map<TrustReason, number>(REASONS.map((r, k) => [r, k]));
const TO_COMPLETE = 0x80;

export interface Decision {
  index: number;
  reason: TrustReason;
  complete: boolean;
  at: number;
}

export class DecisionQueue {
  length = 0;
  private index = new Int32Array(256);
  private code = new Uint8Array(256);
  private at = new Float64Array(256);

  push(index: number, reason: TrustReason, complete: boolean, at: number): void {
    if (this.length === this.index.length) this.grow();
    const k = this.length++;
    this.index[k] = index;
    this.code[k] = (REASON_CODE.get(reason) ?? 0) | (complete ? TO_COMPLETE : 0);
    this.at[k] = at;
  }

  /** Reads decision `k` into `into` (one object reused by the caller, so a sweep allocates nothing here). */
  read(k: number, into: Decision): Decision {
    return DecisionQueue.readRow(this.code[k], this.index[k], this.at[k], into);
  }

  /** Copies of rows `start` to `start + count` (an outbox record keeps them after the queue is reused). */
  rows(start: number, count: number): { index: Int32Array; code: Uint8Array; at: Float64Array } {
    return {
      index: this.index.slice(start, start + count),
      code: this.code.slice(start, start + count),
      at: this.at.slice(start, start + count),
    };
  }

  /** Reads row `k` of saved rows (an outbox record) into `into`. */
  static readRow(code: number, index: number, at: number, into: Decision): Decision {
    into.index = index;
    into.reason = REASONS[code & 0x7f];
    into.complete = (code & TO_COMPLETE) !== 0;
    into.at = at;
    return into;
  }

  clear(): void {
    this.length = 0;
    // A sweep may have grown the arrays to millions of rows: give that memory back.
    if (this.index.length > 65_536) {
      this.index = new Int32Array(256);
      this.code = new Uint8Array(256);
      this.at = new Float64Array(256);
    }
  }

  private grow(): void {
    const size = this.index.length * 2;
    const index = new Int32Array(size);
    index.set(this.index);
    const code = new Uint8Array(size);
    code.set(this.code);
    const at = new Float64Array(size);
    at.set(this.at);
    this.index = index;
    this.code = code;
    this.at = at;
  }
}

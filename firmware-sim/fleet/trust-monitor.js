// Watches the agent's trust events (R/event/trust/#) as a cloud consumer would: which devices are NONE now,
// how many events of each kind came, and, for timeouts, how late each event was after its deadline.

export class TrustMonitor {
  /**
   * @param {{ idPrefix: string, timeoutMs?: number, lastSent: Float64Array }} o lastSent: per device index, when
   *   the fleet last sent its heartbeat (epoch ms), to measure event lateness against `timeoutMs`.
   */
  constructor(o) {
    this.o = o;
    this.none = new Set();
    this.events = 0;
    this.byLevel = { NONE: 0, COMPLETE: 0 };
    this.byReason = {};
    this.lateness = [];
    this.unreadable = 0;
  }

  /** Handles one message of R/event/trust/#. */
  onEvent(payload, receivedAt = Date.now()) {
    let ce;
    try {
      ce = JSON.parse(payload.toString('utf8'));
    } catch {
      this.unreadable++;
      return;
    }
    const change = ce?.data?.attributeValueChange?.[0];
    const id = ce?.subject;
    const to = change?.newAttributeValue;
    if (typeof id !== 'string' || (to !== 'NONE' && to !== 'COMPLETE')) {
      this.unreadable++;
      return;
    }
    this.events++;
    this.byLevel[to]++;
    const reason = String(ce.data.reason);
    this.byReason[reason] = (this.byReason[reason] ?? 0) + 1;
    if (to === 'NONE') this.none.add(id);
    else this.none.delete(id);
    if (to === 'NONE' && reason === 'HEARTBEAT_TIMEOUT' && this.o.timeoutMs !== undefined) this.measure(id, receivedAt);
  }

  measure(id, receivedAt) {
    if (!id.startsWith(this.o.idPrefix)) return;
    const index = Number(id.slice(this.o.idPrefix.length));
    const sent = this.o.lastSent[index];
    if (!Number.isInteger(index) || !(sent > 0) || this.lateness.length >= 1_000_000) return;
    this.lateness.push(receivedAt - (sent + this.o.timeoutMs));
  }
}

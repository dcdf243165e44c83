// The engine's event stream kept open: when it ends, the engine is pinged; gone, the loss is said once and the
// stream reopened with back-off until the engine answers again. Every (re)opening is reported, so that the
// caller re-inspects what it supervises (events may have been missed meanwhile).
import type { Logger } from 'pino';
import type { DockerEngine, EngineEvent, EventStream } from './engine-client.js';

export interface EngineWatchOptions {
  engine: DockerEngine;
  log: Logger;
  onEvent(event: EngineEvent): void;
  /** The stream is open again (first time too); `wasLost` when the engine had been unreachable meanwhile. */
  onOpen(wasLost: boolean): Promise<void>;
  /** The engine cannot be reached: said once per outage. */
  onLost(reason: string): void;
  backoffFirstMs?: number;
  backoffMaxMs?: number;
}

export class EngineWatch {
  private stream: EventStream | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private running = false;
  private lost = false;
  private delayMs: number;

  constructor(private readonly o: EngineWatchOptions) {
    this.delayMs = o.backoffFirstMs ?? 250;
  }

  /** Opens the stream unless it is open or opening. */
  start(): void {
    if (this.running || this.closed) return;
    this.running = true;
    void this.open();
  }

  get unreachable(): boolean {
    return this.lost;
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.stream?.close();
  }

  private async open(): Promise<void> {
    if (this.closed) return;
    try {
      this.o.engine.renegotiate();
      this.stream = await this.o.engine.events({ type: ['container'] }, this.o.onEvent, (err) => this.ended(err));
    } catch (err) {
      return this.failed(err instanceof Error ? err.message : String(err));
    }
    const wasLost = this.lost;
    this.lost = false;
    this.delayMs = this.o.backoffFirstMs ?? 250;
    if (wasLost) this.o.log.info({ socket: this.o.engine.socketPath }, 'Docker engine reachable again');
    await this.o.onOpen(wasLost).catch((err: unknown) => this.o.log.warn({ err: String(err) }, 'cannot re-inspect containers'));
  }

  private ended(err?: Error): void {
    this.stream = undefined;
    if (this.closed) return;
    // The stream may end while the engine lives (a proxy, a timeout): then reopen at once.
    this.o.engine.ping().then(
      () => void this.open(),
      () => this.failed(err?.message ?? 'the event stream ended'),
    );
  }

  private failed(reason: string): void {
    if (this.closed) return;
    if (!this.lost) {
      this.lost = true;
      this.o.log.warn({ socket: this.o.engine.socketPath, reason }, 'Docker engine unreachable; containers not judged until it answers');
      this.o.onLost(reason);
    }
    this.timer = setTimeout(() => void this.open(), this.delayMs);
    this.timer.unref();
    this.delayMs = Math.min(this.delayMs * 2, this.o.backoffMaxMs ?? 5_000);
  }
}

// Every spawned service's recent output (CONTRACT section 16): one bounded ring per service, and the new lines
// as `log` events, gathered over `publishEveryMs` and capped per gathering, so that a service printing a flood
// costs the agent a fixed amount of memory and a fixed number of messages a second.
import type { Clock } from '../clock.js';
import type { EventBus } from '../events.js';
import type { OutputSink } from '../executor/executor.js';
import type { OutputLine, OutputQuery, OutputStreamName } from '../operations/watch-ports.js';
import { LineSplitter } from './line-splitter.js';
import { OutputRing } from './output-ring.js';

export interface ServiceOutputOptions {
  /** Lines kept per service (`logs.lines`). */
  lines: number;
  /** Bytes kept per service (`logs.maxBytes`). */
  maxBytes: number;
  /** A longer line is cut (`logs.maxLineBytes`). */
  maxLineBytes: number;
  /** How long new lines gather before one event carries them. */
  publishEveryMs: number;
  /** Lines one event carries at most; the rest are counted as dropped (they stay in the ring). */
  publishMaxLines: number;
  clock: Clock;
  events: EventBus;
}

interface Pending {
  lines: OutputLine[];
  dropped: number;
}

export class ServiceOutput implements OutputQuery {
  private readonly rings = new Map<string, OutputRing>();
  private readonly pending = new Map<string, Pending>();
  private cancelPublish?: () => void;

  constructor(private readonly o: ServiceOutputOptions) {}

  /** For the process executor: a writer per stream of each child. */
  readonly sink: OutputSink = (name, stream) => {
    const splitter = new LineSplitter({ maxLineBytes: this.o.maxLineBytes, onLine: (text) => this.add(name, stream, text) });
    return { write: (chunk) => splitter.write(chunk), end: () => splitter.end() };
  };

  lines(name: string, limit: number, since: number): OutputLine[] {
    return this.rings.get(name)?.lines(limit, since) ?? [];
  }

  /** What the rings hold in all, for diagnostics and the flood test. */
  held(): { services: number; lines: number; bytes: number } {
    let lines = 0;
    let bytes = 0;
    for (const ring of this.rings.values()) {
      lines += ring.size.lines;
      bytes += ring.size.bytes;
    }
    return { services: this.rings.size, lines, bytes };
  }

  close(): void {
    this.cancelPublish?.();
    this.publish();
  }

  private add(name: string, stream: OutputStreamName, text: string): void {
    const line: OutputLine = { t: this.o.clock.now(), stream, text };
    let ring = this.rings.get(name);
    if (!ring) this.rings.set(name, (ring = new OutputRing(this.o.lines, this.o.maxBytes)));
    ring.push(line);
    let pending = this.pending.get(name);
    if (!pending) this.pending.set(name, (pending = { lines: [], dropped: 0 }));
    if (pending.lines.length < this.o.publishMaxLines) pending.lines.push(line);
    else pending.dropped += 1;
    this.cancelPublish ??= this.o.clock.setTimeout(() => this.publish(), this.o.publishEveryMs);
  }

  private publish(): void {
    this.cancelPublish = undefined;
    const at = this.o.clock.now();
    for (const [name, { lines, dropped }] of this.pending) {
      this.o.events.emit({ kind: 'log', name, lines, dropped, at });
    }
    this.pending.clear();
  }
}

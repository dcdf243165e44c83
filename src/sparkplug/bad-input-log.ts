// Bad input from a Sparkplug host (unknown device or metric, wrong datatype, undecodable payload, bad or
// older STATE) is logged once per kind at warn, then at debug: a host that keeps sending it cannot fill a
// gateway's log, and nothing stops.
import type { Logger } from 'pino';

export class BadInputLog {
  private readonly seen = new Set<string>();

  constructor(private readonly log: Logger) {}

  once(kind: string, fields: object, message: string): void {
    if (this.seen.has(kind)) return this.log.debug({ ...fields, kind }, message);
    this.seen.add(kind);
    this.log.warn({ ...fields, kind }, `${message} (further ones of this kind are logged at debug)`);
  }
}

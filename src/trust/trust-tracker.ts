// The trust-level engine (CONTRACT section 8): device heartbeats, plugin device sets and reports, and plugin
// health become device levels; a change of a device's effective level (the lower of device and plugin)
// becomes one TrustEvent, written to the store before it is published.
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { Config } from '../config/schema.js';
import type { EventBus, TrustEvent } from '../events.js';
import type { TrustView } from '../model.js';
import type { Store } from '../store/store.js';
import { MARK_PREFIX } from './beat-marks.js';
import { DecisionPublisher } from './decision-publisher.js';
import { F_DEVICE_COMPLETE as DEV, F_HAS_BEATEN as BEATEN, F_HOLDS as HOLDS, F_REPORTED as REPORTED } from './device-table.js';
import { beatAgain, deadlineReached, firstBeat } from './heartbeat-rules.js';
import { applyReport, endAwaiting, pluginCameBack, pluginWentDown, replaceDeviceSet, type DeviceEntry, type ReportEntry } from './plugin-rules.js';
import { PluginWatchdog, type PluginHealthSource } from './plugin-watchdog.js';
import { TrustCheckpoint } from './trust-checkpoint.js';
import { TrustOutbox } from './trust-outbox.js';
import type { TrustFilter, TrustInput, TrustQuery } from './trust-query.js';
import { TrustState } from './trust-state.js';
import { queryViews } from './trust-views.js';

export interface TrustTrackerOptions {
  /** Wheel slot width: an event comes at most this long after its deadline (plus timer lag). */
  tickMs: number;
  /** How often heartbeats that changed no level are written (as beat marks). */
  checkpointIntervalMs: number;
  /** An event the broker has not acknowledged after this long is published again (same id). */
  resendAfterMs: number;
  /** How long a plugin that came back up may take to re-register before its devices get their own levels back. */
  reregisterGraceMs: number;
  /** Devices beyond this are refused (logged once). */
  maxDevices: number;
}

export interface TrustTrackerDeps {
  store: Store;
  events: EventBus;
  clock: Clock;
  config: Config['trust'];
  log: Logger;
  /** Registered services with `plugin: true` and their health. */
  plugins: PluginHealthSource;
  options?: Partial<TrustTrackerOptions>;
}

const STEADY_MASK = DEV | REPORTED | HOLDS | BEATEN;
const STEADY = DEV | BEATEN;

export class TrustTracker implements TrustQuery, TrustInput {
  private readonly s: TrustState;
  private readonly checkpoint: TrustCheckpoint;
  private readonly publisher: DecisionPublisher;
  private readonly outbox: TrustOutbox;
  private readonly watchdog: PluginWatchdog;
  private readonly options: TrustTrackerOptions;
  private readonly timeoutMs: number;
  private readonly clock: Clock;
  private readonly log: Logger;
  private tickNow = 0;
  private stops: Array<() => void> = [];

  constructor(private readonly deps: TrustTrackerDeps) {
    const { clock, log, config } = deps;
    this.clock = clock;
    this.log = log;
    this.timeoutMs = config.heartbeatTimeoutMs;
    this.options = {
      tickMs: 100,
      // Each checkpoint with beats appends one mark (and dirties a flash page): a tenth of the timeout is
      // precise enough for deadlines after a crash, and at most a minute between pages is gentle on SD cards.
      checkpointIntervalMs: Math.min(60_000, Math.max(1_000, Math.round(this.timeoutMs / 10))),
      reregisterGraceMs: Math.max(60_000, 2 * config.pluginCheckIntervalMs),
      maxDevices: 2_000_000,
      resendAfterMs: 60_000,
      ...deps.options,
    };
    const isRegisteredPlugin = (name: string): boolean => {
      try {
        return deps.plugins().some((p) => p.name === name);
      } catch {
        return false; // the watchdog logs an unreadable source
      }
    };
    this.s = new TrustState(this.timeoutMs, this.options.tickMs, clock.now(), this.options.maxDevices, log, isRegisteredPlugin);
    this.checkpoint = new TrustCheckpoint(deps.store);
    this.outbox = new TrustOutbox(this.checkpoint.section, log);
    const { table, plugins, dirty, marks } = this.s;
    const keepMarksMs = this.timeoutMs + 2 * this.options.checkpointIntervalMs;
    this.publisher = new DecisionPublisher({ ...deps, checkpoint: this.checkpoint, table, plugins, dirty, marks, outbox: this.outbox, keepMarksMs });
    this.s.publisher = this.publisher;
    this.watchdog = new PluginWatchdog(deps.plugins, plugins, log);
  }

  /**
   * Loads the last checkpoint and its beat marks, resumes deadlines from the remembered times, starts the
   * wheel and the watchdog. Events left in the outbox wait for `resendPending` (once the fronts listen).
   */
  async start(): Promise<void> {
    const { table, plugins, marks } = this.s;
    const saved = await this.checkpoint.load(table, plugins);
    await marks.load(this.checkpoint.section.entries({ gte: MARK_PREFIX, lt: 'bm0' }), table);
    const owed = await this.outbox.load(saved?.outbox);
    this.s.resume();
    const { devices, trusted } = this.counts();
    this.log.info({ devices, trusted, plugins: plugins.count, savedAt: saved?.savedAt, eventsOwed: owed }, 'trust tracker started');
    this.checkPlugins();
    this.tick();
    const { tickMs, checkpointIntervalMs, resendAfterMs } = this.options;
    this.stops.push(
      this.clock.setInterval(this.tick, tickMs),
      this.clock.setInterval(() => {
        void this.publisher.request('checkpoint');
        void this.publisher.resend(this.clock.now() - resendAfterMs);
      }, checkpointIntervalMs),
      this.clock.setInterval(this.checkPlugins, this.deps.config.pluginCheckIntervalMs),
    );
  }

  /** Publishes every event the outbox still holds (after a restart: those the broker never acknowledged). */
  resendPending(): Promise<void> {
    return this.publisher.resend(Infinity);
  }

  /** The broker took this event: it leaves the outbox. */
  acknowledge(event: TrustEvent): void {
    this.outbox.acknowledge(event.id);
  }

  /** Events written but not yet acknowledged by the broker. */
  get eventsOwed(): number {
    return this.outbox.pendingEvents;
  }

  /** Stops the timers and writes a final checkpoint with every exact heartbeat time. */
  async close(): Promise<void> {
    for (const stop of this.stops.splice(0)) stop();
    await this.publisher.request('close');
  }

  /** Writes pending decisions and publishes their events, and removes acknowledged ones; resolves once done. */
  async sync(): Promise<void> {
    await this.publisher.request('decisions');
    await this.outbox.settled();
  }

  beat(deviceId: string, at: number, plugin?: string): void {
    const t = this.s.table;
    const i = t.indexOf(deviceId);
    if (i < 0) {
      firstBeat(this.s, deviceId, at, this.clock.now(), plugin);
      return;
    }
    if (at > t.lastBeat[i]) t.lastBeat[i] = at;
    if (at > t.ref[i]) t.ref[i] = at;
    // The hot path: a COMPLETE device beating again only moves its time (its wheel entry follows lazily).
    if ((t.flags[i] & STEADY_MASK) === STEADY && (plugin === undefined || this.s.plugins.names[t.plugin[i]] === plugin)) {
      this.s.markBeat(i);
      return;
    }
    beatAgain(this.s, i, at, this.clock.now(), plugin);
  }

  pluginDevices(plugin: string, devices: DeviceEntry[], at: number): void {
    const p = this.s.pluginIndex(plugin);
    if (p <= 0) return;
    const foreign = replaceDeviceSet(this.s, p, devices, at);
    if (foreign > 0) this.log.warn({ plugin, foreign }, 'device set named devices tied to another plugin; those were left alone');
    this.log.info({ plugin, devices: devices.length - foreign }, 'plugin device set replaced');
    this.publishSoon();
  }

  pluginReport(plugin: string, entries: ReportEntry[], at: number): void {
    const p = this.s.pluginIndex(plugin);
    if (p <= 0) return;
    const foreign = applyReport(this.s, p, entries, at);
    if (foreign > 0) this.log.warn({ plugin, foreign }, 'plugin reported on devices tied to another plugin; ignored');
    this.publishSoon();
  }

  query(filter: TrustFilter): TrustView[] {
    return queryViews(this.s.table, this.s.plugins, filter);
  }

  counts(): { devices: number; trusted: number } {
    return { devices: this.s.table.size, trusted: this.s.trusted };
  }

  /** A small integer that stays with the device for the life of the data directory (LwM2M 33002 instance id). */
  deviceIndex(deviceId: string): number | undefined {
    const i = this.s.table.indexOf(deviceId);
    return i < 0 ? undefined : i;
  }

  /** The properties from the device's last device set, if any. */
  propertiesOf(deviceId: string): Record<string, unknown> | undefined {
    const i = this.s.table.indexOf(deviceId);
    return i < 0 ? undefined : this.s.table.properties.get(i);
  }

  private readonly tick = (): void => {
    this.tickNow = this.clock.now();
    this.s.wheel.advance(this.tickNow, this.onDue);
    this.publishSoon();
  };

  private readonly onDue = (i: number): void => deadlineReached(this.s, i, this.tickNow);

  private readonly checkPlugins = (): void => {
    const at = this.clock.now();
    for (const { plugin, name, complete } of this.watchdog.check()) {
      if (complete) pluginCameBack(this.s, plugin, name, at, this.options.reregisterGraceMs);
      else pluginWentDown(this.s, plugin, at);
    }
    for (const [plugin, until] of this.s.plugins.awaiting) {
      if (until > at) continue;
      this.log.info({ plugin: this.s.plugins.names[plugin] }, 'plugin did not re-register in time; its devices keep their own levels');
      endAwaiting(this.s, plugin, at);
    }
    this.publishSoon();
  };

  private publishSoon(): void {
    if (this.publisher.pending) void this.publisher.request('decisions');
  }
}

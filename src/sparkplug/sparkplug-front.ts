// The Sparkplug front: the agent's state (from operations through the inbox, and from events) into the
// metric tree, births and DATA; a host's DCMD into services.start|stop|restart through the inbox. It
// translates only: the inbox and the policy decide, the edge node keeps the session rules.
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { ServiceEvent, SmaEvent } from '../events.js';
import type { Intake } from '../inbox/command.js';
import type { MetricsView, ServiceView, TrustView } from '../model.js';
import type { OperationName } from '../operations/schemas.js';
import type { Principal } from '../policy/principal.js';
import type { BadInputLog } from './bad-input-log.js';
import type { BirthContent } from './edge-node.js';
import {
  DEVICE_CONTROL,
  newNodeSet,
  newServiceSet,
  nodeValues,
  serviceValues,
  usageValues,
  type AgentFacts,
  type DeviceControl,
  type MetricSet,
  type ServiceMetricName,
} from './metric-tree.js';
import { DataType, type InPayload, type OutMetric } from './payload.js';
import { TrustDevices } from './trust-devices.js';

/** Where births and DATA go: the edge node's session (which drops them while no session is born). */
export interface SparkplugPublisher {
  publishNodeData(metrics: OutMetric[]): void;
  publishDeviceBirth(device: string, metrics: OutMetric[]): void;
  publishDeviceData(device: string, metrics: OutMetric[]): void;
  publishDeviceDeath(device: string): void;
}

export interface SparkplugFrontOptions {
  intake: Intake;
  subscribe: (listener: (event: SmaEvent) => void) => () => void;
  /** `sparkplug:{url host}`, with the operator role: the broker's ACL decided who may write commands. */
  principal: Principal;
  acceptCommands: boolean;
  /** Usage metrics and the node's counters are polled this often (`health.intervalMs`). */
  intervalMs: number;
  /** `sparkplug.trustDevices`: tracked devices as Sparkplug devices too. */
  trustDevices: boolean;
  badInput: BadInputLog;
  clock: Clock;
  log: Logger;
}

export class SparkplugFront {
  private readonly node = newNodeSet();
  private readonly devices = new Map<string, MetricSet<ServiceMetricName>>();
  private readonly trusted?: TrustDevices;
  private publisher?: SparkplugPublisher;
  private unsubscribe?: () => void;
  private cancelPoll?: () => void;
  /** A refresh running, and whether another is owed after it (events come in bursts). */
  private refreshing?: Promise<void>;
  private refreshOwed = false;

  constructor(private readonly o: SparkplugFrontOptions) {
    if (o.trustDevices) this.trusted = new TrustDevices((name) => this.devices.has(name), o.badInput);
  }

  /** Reads the agent's state once (so the first births carry it), then follows events and polls. */
  async start(publisher: SparkplugPublisher): Promise<void> {
    this.unsubscribe = this.o.subscribe((event) => this.onEvent(event));
    await this.refresh();
    // A failed read leaves the devices to the next poll; it never keeps the agent from starting.
    await this.trusted?.sync(this.askTrust, undefined, this.o.clock.now()).catch((err: Error) => this.o.log.warn({ err: err.message }, 'sparkplug trust devices not read'));
    await this.poll();
    this.publisher = publisher;
    this.cancelPoll = this.o.clock.setInterval(() => void this.poll(), this.o.intervalMs);
  }

  stop(): void {
    this.unsubscribe?.();
    this.cancelPoll?.();
  }

  births(): BirthContent {
    const at = this.o.clock.now();
    const services: Array<[string, OutMetric[]]> = [...this.devices].map(([name, set]) => [name, set.birth(at)]);
    return { node: this.node.birth(at), devices: this.trusted ? [...services, ...this.trusted.births(at)] : services };
  }

  /** A decoded DCMD for `device`: each `Device Control/*` = true runs through the inbox. */
  deviceCommand(device: string, payload: InPayload): void {
    if (!this.devices.has(device)) return this.o.badInput.once('unknown-device', { device: device.slice(0, 128) }, 'sparkplug DCMD for an unknown device: ignored');
    for (const m of payload.metrics) {
      const name = m.name ?? '';
      if (!(name in DEVICE_CONTROL)) {
        this.o.badInput.once('unknown-metric', { device, metric: name.slice(0, 128), alias: m.alias }, 'sparkplug DCMD for an unknown or unwritable metric: ignored');
        continue;
      }
      if ((m.datatype !== undefined && m.datatype !== DataType.Boolean) || typeof m.value !== 'boolean') {
        this.o.badInput.once('wrong-datatype', { device, metric: name, datatype: m.datatype }, 'sparkplug DCMD with a datatype other than Boolean: ignored');
        continue;
      }
      if (!m.value) continue;
      if (!this.o.acceptCommands) {
        this.o.badInput.once('commands-refused', { device, metric: name }, 'sparkplug DCMD refused: sparkplug.acceptCommands is false');
        continue;
      }
      void this.control(device, DEVICE_CONTROL[name as DeviceControl]);
    }
  }

  /** What is left of an NCMD once the edge node took Node Control/Rebirth: nothing else is writable. */
  nodeCommand(payload: InPayload): void {
    for (const m of payload.metrics) {
      this.o.badInput.once('unknown-metric', { metric: (m.name ?? '').slice(0, 128), alias: m.alias }, 'sparkplug NCMD for an unknown or unwritable metric: ignored');
    }
  }

  private async control(device: string, action: 'start' | 'stop' | 'restart'): Promise<void> {
    const op = `services.${action}` as const;
    const ticket = await this.o.intake.accept({ op, body: { names: [device] }, origin: 'sparkplug', principal: this.o.principal });
    const reply = await ticket.done;
    ticket.afterSent();
    const item = reply.ok ? (reply.result as Array<{ result: string; error?: { message: string } }>)[0] : undefined;
    if (!reply.ok || item?.result !== 'OK') this.o.log.warn({ device, op, error: reply.ok ? item?.error : reply.error }, 'sparkplug command did not succeed');
    else this.o.log.info({ device, op }, 'sparkplug command done');
  }

  private onEvent(event: SmaEvent): void {
    // A deployment that switched a service's version shows in services.list.
    if (event.kind === 'deploy') return void this.refresh();
    if (event.kind === 'trust') return this.trusted?.onEvent(event, this.publisher);
    if (event.kind !== 'service') return;
    const direct = directValues(event);
    const set = this.devices.get(event.name);
    if (direct && set) this.deviceData(event.name, set.update(direct, event.at));
    // Restarts, registrations and what an event does not say come from services.list.
    void this.refresh();
  }

  /** services.list (and agent.info) into the tree: DBIRTH for a new service, DDATA for changes, DDEATH for one gone. */
  private refresh(): Promise<void> {
    if (this.refreshing) {
      this.refreshOwed = true;
      return this.refreshing;
    }
    this.refreshing = (async () => {
      do {
        this.refreshOwed = false;
        await this.refreshOnce().catch((err: Error) => this.o.log.warn({ err: err.message }, 'sparkplug refresh failed'));
      } while (this.refreshOwed);
    })().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  private async refreshOnce(): Promise<void> {
    const views = (await this.ask('services.list', {})) as ServiceView[];
    const at = this.o.clock.now();
    const seen = new Set<string>();
    const born: string[] = [];
    for (const view of views) {
      // A tracked device that came first keeps the name (one device id, one birth).
      if (this.trusted?.has(view.name)) continue;
      seen.add(view.name);
      const set = this.devices.get(view.name);
      if (set) {
        this.deviceData(view.name, set.update(serviceValues(view), at));
        continue;
      }
      const fresh = newServiceSet();
      fresh.update(serviceValues(view), at);
      this.devices.set(view.name, fresh);
      born.push(view.name);
    }
    if (born.length) {
      const usage = (await this.ask('services.metrics', { names: born })) as MetricsView[];
      for (const u of usage) this.devices.get(u.name)?.update(usageValues(u), at);
      for (const name of born) {
        const set = this.devices.get(name);
        if (set) this.publisher?.publishDeviceBirth(name, set.birth(at));
      }
    }
    for (const name of [...this.devices.keys()]) {
      if (seen.has(name)) continue;
      this.devices.delete(name);
      this.publisher?.publishDeviceDeath(name);
    }
  }

  /** The measured values (CPU, memory) and the node's counters, at most every `intervalMs`. */
  private async poll(): Promise<void> {
    try {
      const info = (await this.ask('agent.info', {})) as AgentFacts;
      const at = this.o.clock.now();
      // Updated whether or not a publisher is there yet: the first births carry these values.
      const changed = this.node.update(nodeValues(info), at);
      this.publisher?.publishNodeData(changed);
      // The tracker announces no device's first beat: a count that moved means devices came or went.
      if (this.trusted && this.trusted.count !== info.devices) await this.trusted.sync(this.askTrust, this.publisher, at);
      if (this.devices.size === 0) return;
      const usage = (await this.ask('services.metrics', {})) as MetricsView[];
      for (const u of usage) {
        const set = this.devices.get(u.name);
        if (set) this.deviceData(u.name, set.update(usageValues(u), this.o.clock.now()));
      }
    } catch (err) {
      this.o.log.warn({ err: (err as Error).message }, 'sparkplug poll failed');
    }
  }

  /** Takes the changed metrics (already in the tree) to the session, if one is attached. */
  private deviceData(device: string, changed: OutMetric[]): void {
    this.publisher?.publishDeviceData(device, changed);
  }

  private readonly askTrust = async (body: Record<string, unknown>): Promise<TrustView[]> => (await this.ask('trust.get', body)) as TrustView[];

  private async ask(op: OperationName, body: Record<string, unknown>): Promise<unknown> {
    const ticket = await this.o.intake.accept({ op, body, origin: 'sparkplug', principal: this.o.principal });
    const reply = await ticket.done;
    ticket.afterSent();
    if (!reply.ok) throw new Error(`${op}: ${reply.error.code} ${reply.error.message}`);
    return reply.result;
  }
}

/** What a service event says by itself, published at once (the refresh that follows fills in the rest). */
function directValues(e: ServiceEvent): Partial<Record<ServiceMetricName, string | number | null>> | undefined {
  switch (e.type) {
    case 'STATUS':
      return e.to === undefined ? undefined : { Status: e.to };
    case 'HEALTH':
      return e.to === undefined ? undefined : { Health: e.to };
    case 'EXIT':
      return { 'Last Exit Code': e.exitCode ?? null };
    default:
      return undefined;
  }
}

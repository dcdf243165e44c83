// The instance sources of objects 3, 33000, 33001 and 33002: each reads through operations only.
import type { MetricsView, ServiceConfig, ServiceView, TrustView } from '../../model.js';
import type { ResourceValue } from '../content/node.js';
import { DecodeError } from '../content/node.js';
import type { DeviceFacts } from './device-facts.js';
import type { Ask, Effect, InstanceQuery, ObjectSource } from './object-source.js';
import {
  agentBindings,
  deviceBindings,
  serviceBindings,
  trustBindings,
  type AgentInstance,
  type DeviceInstance,
  type ServiceInstance,
  type TrustInstance,
} from './resource-bindings.js';

export class DeviceSource implements ObjectSource<DeviceInstance> {
  readonly objectId = 3;
  readonly bindings = deviceBindings;
  private offsetS = 0;

  constructor(
    private readonly facts: DeviceFacts,
    private readonly nowMs: () => number,
    private readonly canReboot: boolean,
    private readonly reboot?: () => Promise<void>,
  ) {}

  async read(_ask: Ask, query: InstanceQuery): Promise<Map<number, DeviceInstance>> {
    if (query.instanceId !== undefined && query.instanceId !== 0) return new Map();
    const nowS = Math.floor(this.nowMs() / 1000) + this.offsetS;
    const instance: DeviceInstance = {
      facts: this.facts,
      nowS,
      canReboot: this.canReboot,
      reboot: this.reboot,
      setTimeOffset: (s) => (this.offsetS += s),
    };
    return new Map([[0, instance]]);
  }
}

/** 33000: instances follow services.list; the instance id is the registry's, stable per name. */
export class ServiceSource implements ObjectSource<ServiceInstance> {
  readonly objectId = 33000;
  readonly bindings = serviceBindings;
  private readonly ids = new Map<string, number>();
  /** Result of the last start/stop/restart per service, as this front saw it. */
  readonly lastResults = new Map<string, string>();

  idOf(name: string): number | undefined {
    return this.ids.get(name);
  }

  async read(ask: Ask, query: InstanceQuery): Promise<Map<number, ServiceInstance>> {
    const views = (await ask('services.list', {})) as ServiceView[];
    for (const v of views) this.ids.set(v.name, v.instanceId);
    const chosen = query.instanceId === undefined ? views : views.filter((v) => v.instanceId === query.instanceId);
    const out = new Map<number, ServiceInstance>(chosen.map((v) => [v.instanceId, { view: v, lastResult: this.lastResults.get(v.name) }]));
    if (out.size === 0) return out;
    const names = chosen.map((v) => v.name);
    if (query.needs.has('metrics')) {
      const metrics = (await ask('services.metrics', { names })) as MetricsView[];
      const byName = new Map(metrics.map((m) => [m.name, m]));
      for (const inst of out.values()) inst.metrics = byName.get(inst.view.name);
    }
    if (query.needs.has('alerts')) {
      const firing = ((await ask('alerts.list', {})) as Array<{ rule: string; name: string; state: string }>).filter((a) => a.state === 'FIRING');
      for (const inst of out.values()) inst.alerts = firing.filter((a) => a.name === inst.view.name).map((a) => a.rule);
    }
    if (query.needs.has('history')) {
      for (const inst of out.values()) inst.history = await lastHour(ask, inst.view.name);
    }
    if (query.needs.has('config')) {
      for (const inst of out.values()) inst.config = ((await ask('config.get', { name: inst.view.name })) as { config: ServiceConfig }).config;
    }
    return out;
  }

  /** Create: Name (0) is required; Address (11) "host:port" and Config (8) JSON are optional. */
  create(values: ReadonlyMap<number, ResourceValue>, instanceId?: number): Effect {
    const name = values.get(0);
    if (typeof name !== 'string') throw new DecodeError('Create on 33000 needs the Name resource (0)');
    const body: Record<string, unknown> = { name, check: { type: 'none' }, ...(instanceId === undefined ? {} : { instanceId }) };
    const address = values.get(11);
    if (typeof address === 'string' && address !== '') {
      const m = /^(.*?)(?::(\d{1,5}))?$/.exec(address)!;
      body.host = m[1];
      if (m[2]) body.port = Number(m[2]);
    }
    const config = values.get(8);
    if (config !== undefined) {
      try {
        body.config = JSON.parse(String(config));
      } catch {
        throw new DecodeError('Config must be JSON');
      }
    }
    return { op: 'registry.register', body };
  }

  delete(instance: ServiceInstance): Effect {
    return { op: 'registry.deregister', body: { name: instance.view.name } };
  }
}

/** CPU and memory of the last hour (services.history's default) at one-minute steps; none while the watch is off. */
async function lastHour(ask: Ask, name: string): Promise<ServiceInstance['history']> {
  const history: NonNullable<ServiceInstance['history']> = {};
  for (const metric of ['cpuPercent', 'memoryBytes'] as const) {
    try {
      const got = (await ask('services.history', { name, metric, stepMs: 60_000 })) as { points: number[][] };
      history[metric] = got.points;
    } catch {
      // UNAVAILABLE with the watch off: the resource is then absent, as any resource without a value.
    }
  }
  return history;
}

export class AgentSource implements ObjectSource<AgentInstance> {
  readonly objectId = 33001;
  readonly bindings = agentBindings;

  async read(ask: Ask, query: InstanceQuery): Promise<Map<number, AgentInstance>> {
    if (query.instanceId !== undefined && query.instanceId !== 0) return new Map();
    const info = (await ask('agent.info', {})) as AgentInstance['info'];
    const instance: AgentInstance = { info };
    if (query.needs.has('trusted')) instance.trusted = ((await ask('trust.get', { level: 'COMPLETE' })) as TrustView[]).length;
    return new Map([[0, instance]]);
  }
}

/** 33002: one instance per tracked device; the id is the tracker's slot for the device, kept across restarts. */
export class TrustSource implements ObjectSource<TrustInstance> {
  readonly objectId = 33002;
  readonly bindings = trustBindings;
  /** Device id -> instance id as last read, so an event can name its instance without a read. */
  private readonly ids = new Map<string, number>();

  constructor(private readonly heartbeatTimeoutS?: number) {}

  idOf(deviceId: string): number | undefined {
    return this.ids.get(deviceId);
  }

  async read(ask: Ask, query: InstanceQuery): Promise<Map<number, TrustInstance>> {
    // One instance: the page that starts at it. The whole object: the first page (10 000 devices), which is
    // what a Read of /33002 can sensibly carry.
    const page = query.instanceId === undefined ? {} : { after: query.instanceId - 1, limit: 1 };
    const views = (await ask('trust.get', page)) as TrustView[];
    const out = new Map<number, TrustInstance>();
    for (const view of views) {
      const id = view.instanceId;
      this.ids.set(view.id, id);
      if (query.instanceId === undefined || query.instanceId === id) out.set(id, { view, heartbeatTimeoutS: this.heartbeatTimeoutS });
    }
    return out;
  }
}

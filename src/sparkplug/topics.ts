// The Sparkplug B topic namespace (specification chapter 4): spBv1.0/{group}/{verb}/{edge node}[/{device}]
// for this edge node, and spBv1.0/STATE/{host id} for the primary host application.
export const NAMESPACE = 'spBv1.0';

/** A group, edge node, device or host id: one topic level, no wildcard, no separator, no NUL. */
export const TOPIC_ID = /^[^/+#\u0000]{1,128}$/;

export type Inbound = { kind: 'NCMD' } | { kind: 'DCMD'; device: string } | { kind: 'STATE'; hostId: string } | { kind: 'other' };

export class SparkplugTopics {
  readonly nbirth: string;
  readonly ndeath: string;
  readonly ndata: string;
  readonly ncmd: string;
  /** Every device's commands: one subscription. */
  readonly dcmdFilter: string;
  private readonly base: string;

  constructor(readonly groupId: string, readonly edgeNodeId: string) {
    this.base = `${NAMESPACE}/${groupId}`;
    this.nbirth = this.node('NBIRTH');
    this.ndeath = this.node('NDEATH');
    this.ndata = this.node('NDATA');
    this.ncmd = this.node('NCMD');
    this.dcmdFilter = `${this.node('DCMD')}/+`;
  }

  dbirth(device: string): string {
    return `${this.node('DBIRTH')}/${device}`;
  }

  ddata(device: string): string {
    return `${this.node('DDATA')}/${device}`;
  }

  ddeath(device: string): string {
    return `${this.node('DDEATH')}/${device}`;
  }

  static state(hostId: string): string {
    return `${NAMESPACE}/STATE/${hostId}`;
  }

  parse(topic: string): Inbound {
    if (topic === this.ncmd) return { kind: 'NCMD' };
    const dcmd = `${this.node('DCMD')}/`;
    if (topic.startsWith(dcmd)) {
      const device = topic.slice(dcmd.length);
      return device.includes('/') || device === '' ? { kind: 'other' } : { kind: 'DCMD', device };
    }
    const state = `${NAMESPACE}/STATE/`;
    if (topic.startsWith(state)) return { kind: 'STATE', hostId: topic.slice(state.length) };
    return { kind: 'other' };
  }

  private node(verb: string): string {
    return `${this.base}/${verb}/${this.edgeNodeId}`;
  }
}

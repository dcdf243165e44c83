// The Bootstrap interface on the client side (LwM2M TS Core 6.1.7): what a Bootstrap-Server may do between
// our Bootstrap-Request and its Bootstrap-Finish. It writes, reads (object 1 only), discovers and deletes
// instances of objects 0 and 1 in a draft; Finish checks the draft describes one server account, and only
// then does the account take effect. One handler per operation, as the downlink dispatcher has.
import type { Logger } from 'pino';
import { coapCodeOf } from '../coap-codes.js';
import { codecs, LINK_FORMAT } from '../content/content-formats.js';
import { encodeLinks, type Link } from '../content/link-format.js';
import { formatPath, type Lwm2mPath, type Lwm2mRecord, type ResourceValue } from '../content/node.js';
import { SENML_JSON } from '../content/senml-json-format.js';
import type { TypeOf } from '../content/tlv-format.js';
import { resourceTypeIn, type ObjectModel } from '../model/object-model.js';
import { SECURITY_OBJECT, SERVER_OBJECT } from '../objects/account-sources.js';
import { CoapFailure } from '../objects/coap-failure.js';
import type { DownlinkReceiver } from '../transport/coap-endpoint.js';
import { respond, type DownlinkRequest, type DownlinkResponse } from '../transport/downlink.js';
import { serverAccountOf, type Instances, type ServerAccount } from './server-account.js';

export interface BootstrapReceiverOptions {
  models: ReadonlyMap<number, ObjectModel>;
  /** The Bootstrap-Server account itself (Security instance with resource 1 true): Delete leaves it. */
  bootstrapAccount: Map<number, ResourceValue>;
  defaultLifetimeS: number;
  /** Bootstrap-Finish accepted: runs after the 2.04 is sent. */
  finished(account: ServerAccount): void;
  log: Logger;
}

const BOOTSTRAP_FLAG = 1;

export class BootstrapReceiver implements DownlinkReceiver {
  private readonly draft = new Map<number, Instances>([
    [SECURITY_OBJECT, new Map()],
    [SERVER_OBJECT, new Map()],
  ]);
  private readonly typeOf: TypeOf;

  constructor(private readonly o: BootstrapReceiverOptions) {
    this.draft.get(SECURITY_OBJECT)!.set(0, new Map(o.bootstrapAccount));
    this.typeOf = resourceTypeIn((id) => o.models.get(id));
  }

  async receive(req: DownlinkRequest): Promise<DownlinkResponse> {
    try {
      return this.route(req);
    } catch (err) {
      this.o.log.debug({ method: req.method, path: formatPath(req.path), why: (err as Error).message }, 'bootstrap request refused');
      return respond(coapCodeOf(err), (err as Error).message);
    }
  }

  private route(req: DownlinkRequest): DownlinkResponse {
    if (req.bootstrapFinish) return this.finish();
    if (req.method === 'GET' && req.accept === LINK_FORMAT) return this.discover(req.path);
    if (req.method === 'GET') return this.read(req);
    if (req.method === 'PUT') return this.write(req);
    if (req.method === 'DELETE') return this.delete(req.path);
    throw new CoapFailure('4.05', `${req.method} is not a bootstrap operation`);
  }

  /** Bootstrap-Write: PUT on /0, /1, an instance or a resource; instances are created as needed. */
  private write(req: DownlinkRequest): DownlinkResponse {
    const objects = this.objectsOf(req.path, 'Bootstrap-Write');
    if (objects.length !== 1 || req.path.length > 3) throw new CoapFailure('4.00', 'Bootstrap-Write takes /0 or /1, an instance or a resource');
    const codec = req.contentFormat === undefined ? undefined : codecs.get(req.contentFormat);
    if (!codec) throw new CoapFailure('4.15', `content format ${req.contentFormat ?? '(none)'} is not supported`);
    const records: Lwm2mRecord[] = codec.decode(req.path, req.payload, this.typeOf);
    const instances = this.draft.get(objects[0]!)!;
    for (const r of records) {
      if (r.path.length < 3 || !this.typeOf(r.path)) throw new CoapFailure('4.04', `no resource ${formatPath(r.path.slice(0, 3))}`);
      const [, iid, rid] = r.path as [number, number, number];
      const instance = instances.get(iid) ?? new Map<number, ResourceValue>();
      instance.set(rid, r.value);
      instances.set(iid, instance);
    }
    return respond('2.04');
  }

  /** Bootstrap-Read: object 1 only (TS Core 6.1.7.3); the Security object is never read back. */
  private read(req: DownlinkRequest): DownlinkResponse {
    if (req.path[0] !== SERVER_OBJECT || req.path.length > 2) throw new CoapFailure('4.01', 'Bootstrap-Read is allowed on the Server object (1) and its instances only');
    const records: Lwm2mRecord[] = [];
    for (const [iid, resources] of this.draft.get(SERVER_OBJECT)!) {
      if (req.path.length === 2 && iid !== req.path[1]) continue;
      for (const [rid, value] of resources) records.push({ path: [SERVER_OBJECT, iid, rid], type: this.typeOf([SERVER_OBJECT, iid, rid])!, value });
    }
    if (req.path.length === 2 && records.length === 0) throw new CoapFailure('4.04', `no instance ${formatPath(req.path)}`);
    return respond('2.05', codecs.get(SENML_JSON)!.encode(req.path, records), SENML_JSON);
  }

  /** Bootstrap-Discover: the objects and the instances of 0 and 1 (with `ssid`, and `uri` for 0). */
  private discover(path: Lwm2mPath): DownlinkResponse {
    if (path.length > 1) throw new CoapFailure('4.00', 'Bootstrap-Discover takes / or an object');
    const links: Link[] = path.length === 0 ? [{ uri: '/', attributes: { lwm2m: '1.1' } }] : [];
    const objectIds = path.length === 0 ? [...this.o.models.keys()].sort((a, b) => a - b) : [path[0]!];
    for (const oid of objectIds) {
      const instances = this.draft.get(oid);
      if (!instances || instances.size === 0) {
        links.push({ uri: `/${oid}`, attributes: {} });
        continue;
      }
      for (const [iid, r] of instances) {
        const ssid = r.get(oid === SECURITY_OBJECT ? 10 : 0);
        const attributes: Link['attributes'] = {};
        if (typeof ssid === 'number') attributes.ssid = ssid;
        if (oid === SECURITY_OBJECT && typeof r.get(0) === 'string') attributes.uri = r.get(0) as string;
        links.push({ uri: `/${oid}/${iid}`, attributes });
      }
    }
    return respond('2.05', encodeLinks(links), LINK_FORMAT);
  }

  /** Bootstrap-Delete: on / or an object or instance of 0 and 1; the Bootstrap-Server account stays. */
  private delete(path: Lwm2mPath): DownlinkResponse {
    if (path.length > 2) throw new CoapFailure('4.00', 'Bootstrap-Delete takes /, an object or an instance');
    for (const oid of this.objectsOf(path, 'Bootstrap-Delete')) {
      const instances = this.draft.get(oid)!;
      for (const [iid, resources] of [...instances]) {
        if (path.length === 2 && iid !== path[1]) continue;
        if (oid === SECURITY_OBJECT && resources.get(BOOTSTRAP_FLAG) === true) continue;
        instances.delete(iid);
      }
    }
    return respond('2.02');
  }

  private finish(): DownlinkResponse {
    const account = serverAccountOf(this.draft.get(SECURITY_OBJECT)!, this.draft.get(SERVER_OBJECT)!, this.o.defaultLifetimeS);
    if (typeof account === 'string') {
      this.o.log.warn({ why: account }, 'Bootstrap-Finish refused: the written objects describe no usable server');
      return respond('4.06', account);
    }
    return { ...respond('2.04'), afterSent: () => this.o.finished(account) };
  }

  /** Objects 0 and 1 that `path` covers (all of them for /); anything else is outside the bootstrap interface. */
  private objectsOf(path: Lwm2mPath, what: string): number[] {
    if (path.length === 0) return [SECURITY_OBJECT, SERVER_OBJECT];
    if (path[0] === SECURITY_OBJECT || path[0] === SERVER_OBJECT) return [path[0]];
    throw new CoapFailure('4.01', `${what} on ${formatPath(path)}: this client takes objects 0 and 1 only from a Bootstrap-Server`);
  }
}

// Register, Update, De-register (LwM2M TS Core 6.2): one session with the LwM2M server, with back-off.
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import { encodeLinks, LINK_FORMAT, type Link } from './content/link-format.js';
import { SENML_JSON } from './content/senml-json-format.js';
import { retryDelayMs, updateDelayMs, type Lwm2mParameters } from './parameters.js';
import type { UplinkRequest, UplinkResponse } from './transport/coap-endpoint.js';

export type SessionState = 'stopped' | 'registering' | 'registered' | 'waiting';

export interface RegistrationOptions {
  endpoint: string;
  /** The starting lifetime; the Server object's Lifetime (1/0/1) changes it with `setLifetime`. */
  lifetimeS: number;
  server: { host: string; port: number };
  params: Lwm2mParameters;
  clock: Clock;
  log: Logger;
  send(up: UplinkRequest): Promise<UplinkResponse>;
  /** The server did not answer: a security session it may have lost is dropped before the next attempt. */
  renewTransport?(): void;
  /** The object and instance links to announce, read afresh. */
  links(): Promise<Link[]>;
  /** The server refused `refusalsBeforeBootstrap` registrations in a row (4.xx): the session stops retrying. */
  onRefused?(): void;
}

const sameLinks = (a: Link[], b: Link[]): boolean => encodeLinks(a).equals(encodeLinks(b));

export class RegistrationSession {
  state: SessionState = 'stopped';
  /** The version the server accepted; a server that refused 1.1 gets 1.0 (and TLV by default). */
  version: '1.1' | '1.0' = '1.1';
  /** Registrations that succeeded since start (tests and logs). */
  registrations = 0;
  private location: string[] = [];
  private announced: Link[] = [];
  private attempt = 0;
  private refusals = 0;
  private lifetimeS: number;
  private cancelTimer: () => void = () => {};
  private queue: Promise<void> = Promise.resolve();
  /** Rejects when stop() begins, so a request still waiting for a dead server does not hold the stop. */
  private readonly stopping: Promise<never>;
  private signalStop: () => void = () => {};

  constructor(private readonly o: RegistrationOptions) {
    this.lifetimeS = o.lifetimeS;
    this.stopping = new Promise<never>((_resolve, reject) => (this.signalStop = () => reject(new Error('stopping'))));
    this.stopping.catch(() => {});
  }

  private send(up: UplinkRequest): Promise<UplinkResponse> {
    return Promise.race([this.o.send(up), this.stopping]);
  }

  start(): void {
    this.state = 'registering';
    this.enqueue(() => this.register());
  }

  /** Instances may have appeared or gone: send an Update with the new links when they differ. */
  refresh(): void {
    this.enqueue(async () => {
      if (this.state !== 'registered') return;
      const links = await this.o.links();
      if (!sameLinks(links, this.announced)) await this.update(links);
    });
  }

  get lifetime(): number {
    return this.lifetimeS;
  }

  /** A server wrote the Lifetime: it takes effect at once, with an Update carrying `lt`. */
  setLifetime(seconds: number): void {
    this.lifetimeS = seconds;
    this.enqueue(() => this.update(undefined, true));
  }

  /** An Update now that carries the objects and instances, changed or not (object 9's Update Supported Objects). */
  announceObjects(): void {
    this.enqueue(async () => {
      if (this.state !== 'registered') return;
      await this.update(await this.o.links());
    });
  }

  /** Registration Update Trigger (1/0/8): an Update now. */
  triggerUpdate(): void {
    this.enqueue(() => this.update());
  }

  async stop(): Promise<void> {
    const wasRegistered = this.state === 'registered';
    this.state = 'stopped';
    this.cancelTimer();
    this.signalStop();
    await this.queue;
    if (!wasRegistered && this.location.length === 0) return;
    try {
      const res = await this.o.send({ ...this.target(`/${this.location.join('/')}`), method: 'DELETE', timeoutMs: this.o.params.deregisterTimeoutMs });
      this.o.log.info({ code: res.code }, 'de-registered');
    } catch (err) {
      this.o.log.warn({ err: (err as Error).message }, 'de-register got no answer');
    }
    this.location = [];
  }

  private enqueue(step: () => Promise<void>): void {
    this.queue = this.queue.then(step).catch((err) => this.o.log.error({ err }, 'registration step failed'));
  }

  private target(pathname: string): Pick<UplinkRequest, 'host' | 'port' | 'pathname'> {
    return { host: this.o.server.host, port: this.o.server.port, pathname };
  }

  private async register(): Promise<void> {
    if (this.state === 'stopped') return;
    this.state = 'registering';
    const links = await this.o.links();
    const payload = encodeLinks([{ uri: '/', attributes: { rt: 'oma.lwm2m', ct: SENML_JSON } }, ...links]);
    const query = `ep=${encodeURIComponent(this.o.endpoint)}&lt=${this.lifetimeS}&lwm2m=${this.version}&b=U`;
    let res: UplinkResponse;
    try {
      res = await this.send({ ...this.target('/rd'), method: 'POST', query, payload, format: LINK_FORMAT, timeoutMs: this.o.params.registrationAttemptMs });
    } catch (err) {
      this.o.renewTransport?.();
      return this.retry(`no answer: ${(err as Error).message}`);
    }
    if ((this.state as SessionState) === 'stopped') return;
    if (res.code === '2.01' && res.locationPath.length > 0) {
      this.location = res.locationPath;
      this.announced = links;
      this.attempt = 0;
      this.refusals = 0;
      this.registrations++;
      this.state = 'registered';
      this.o.log.info({ location: `/${this.location.join('/')}`, lwm2m: this.version, lifetimeS: this.lifetimeS }, 'registered');
      this.scheduleUpdate();
      return;
    }
    if (this.version === '1.1' && (res.code === '4.00' || res.code === '4.12')) {
      this.o.log.warn({ code: res.code }, 'server refused LwM2M 1.1; registering as 1.0');
      this.version = '1.0';
      return this.register();
    }
    if (res.code.startsWith('4.') && this.o.onRefused && ++this.refusals >= this.o.params.refusalsBeforeBootstrap) {
      this.o.log.warn({ code: res.code, refusals: this.refusals }, 'the server keeps refusing the registration; bootstrapping again');
      this.state = 'waiting';
      return this.o.onRefused();
    }
    return this.retry(`server answered ${res.code}`);
  }

  private retry(why: string): void {
    if (this.state === 'stopped') return;
    const delay = retryDelayMs(this.attempt++, this.o.params, this.lifetimeS);
    this.state = 'waiting';
    // Logged once per outage; later attempts go to debug so a dead server does not fill the log.
    if (this.attempt === 1) this.o.log.warn({ why, retryInMs: delay }, 'registration failed; retrying with back-off');
    else this.o.log.debug({ why, retryInMs: delay, attempt: this.attempt }, 'registration failed again');
    this.cancelTimer();
    this.cancelTimer = this.o.clock.setTimeout(() => this.enqueue(() => this.register()), delay);
  }

  private scheduleUpdate(): void {
    this.cancelTimer();
    this.cancelTimer = this.o.clock.setTimeout(() => this.enqueue(() => this.update()), updateDelayMs(this.lifetimeS, this.o.params));
  }

  private async update(links?: Link[], withLifetime = false): Promise<void> {
    if (this.state !== 'registered') return;
    let res: UplinkResponse;
    try {
      res = await this.send({
        ...this.target(`/${this.location.join('/')}`),
        method: 'POST',
        ...(withLifetime ? { query: `lt=${this.lifetimeS}` } : {}),
        timeoutMs: this.o.params.registrationAttemptMs,
        ...(links ? { payload: encodeLinks(links), format: LINK_FORMAT } : {}),
      });
    } catch (err) {
      this.o.log.warn({ err: (err as Error).message }, 'update got no answer; registering again');
      this.o.renewTransport?.();
      return this.register();
    }
    if (res.code === '2.04') {
      if (links) this.announced = links;
      this.o.log.debug({ withLinks: links !== undefined }, 'registration updated');
      this.scheduleUpdate();
      return;
    }
    // 4.04: the server forgot us (restarted, or our lifetime ran out there).
    this.o.log.info({ code: res.code }, 'update refused; registering again');
    this.location = [];
    return this.register();
  }
}

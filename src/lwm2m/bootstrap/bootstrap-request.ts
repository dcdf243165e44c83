// One client-initiated Bootstrap (LwM2M TS Core 6.1.3): a Bootstrap-Request to the Bootstrap-Server, its
// writes served by a BootstrapReceiver on the same socket, until its Bootstrap-Finish names a usable account.
import { lookup } from 'node:dns/promises';
import type { Logger } from 'pino';
import type { Clock } from '../../clock.js';
import { SENML_JSON } from '../content/senml-json-format.js';
import type { ResourceValue } from '../content/node.js';
import type { ObjectModel } from '../model/object-model.js';
import type { Lwm2mParameters } from '../parameters.js';
import { parseServerUri } from '../server-uri.js';
import { CoapEndpoint } from '../transport/coap-endpoint.js';
import type { PskCredentials } from '../transport/dtls-port.js';
import { portFor } from '../transport/port-for.js';
import { BootstrapReceiver } from './bootstrap-receiver.js';
import type { ServerAccount } from './server-account.js';

export interface BootstrapRequestOptions {
  endpoint: string;
  bootstrapUri: string;
  /** For a coaps:// Bootstrap-Server. */
  psk?: PskCredentials;
  models: ReadonlyMap<number, ObjectModel>;
  defaultLifetimeS: number;
  localPort: number;
  params: Lwm2mParameters;
  clock: Clock;
  log: Logger;
  /** Ends the attempt at once (the client is stopping). */
  signal: AbortSignal;
}

export class BootstrapFailed extends Error {}

const FINISH_FLUSH_MS = 20;

/** Bootstraps once: the account the Bootstrap-Server gave, or BootstrapFailed saying why not. */
export async function bootstrapOnce(o: BootstrapRequestOptions): Promise<ServerAccount> {
  const target = parseServerUri(o.bootstrapUri);
  if (target.secure && !o.psk) throw new BootstrapFailed('a coaps:// Bootstrap-Server needs lwm2m.bootstrapPsk');
  const address = (await lookup(target.host, { family: 4 })).address;
  let finished: (a: ServerAccount) => void = () => undefined;
  const done = new Promise<ServerAccount>((resolve) => (finished = resolve));
  const bootstrapAccount = new Map<number, ResourceValue>([
    [0, o.bootstrapUri],
    [1, true],
    [2, o.psk ? 0 : 3],
  ]);
  const receiver = new BootstrapReceiver({ models: o.models, bootstrapAccount, defaultLifetimeS: o.defaultLifetimeS, finished: (a) => finished(a), log: o.log });
  const endpoint = new CoapEndpoint({
    openPort: () => portFor({ host: address, port: target.port }, o.psk, o),
    params: o.params,
    clock: o.clock,
    log: o.log,
    receiver,
    // Only the Bootstrap-Server may write our accounts.
    accepts: (src) => src.address === address && src.port === target.port,
  });
  await endpoint.open();
  let cancel: () => void = () => undefined;
  let onAbort: () => void = () => undefined;
  const aborted = new Promise<never>((_resolve, reject) => {
    onAbort = () => reject(new BootstrapFailed('stopped'));
    if (o.signal.aborted) onAbort();
    else o.signal.addEventListener('abort', onAbort, { once: true });
  });
  aborted.catch(() => undefined);
  try {
    const query = `ep=${encodeURIComponent(o.endpoint)}&pct=${SENML_JSON}`;
    const res = await Promise.race([endpoint.request({ method: 'POST', host: address, port: target.port, pathname: '/bs', query, timeoutMs: o.params.registrationAttemptMs }), aborted]);
    if (res.code !== '2.04') throw new BootstrapFailed(`Bootstrap-Request answered ${res.code}`);
    const timedOut = new Promise<never>((_resolve, reject) => {
      cancel = o.clock.setTimeout(() => reject(new BootstrapFailed(`no Bootstrap-Finish within ${o.params.bootstrapFinishMs} ms`)), o.params.bootstrapFinishMs);
    });
    const account = await Promise.race([done, timedOut, aborted]);
    // The Finish's 2.04 leaves the socket a tick after it was handed over; closing at once would drop it.
    await new Promise<void>((resolve) => o.clock.setTimeout(resolve, FINISH_FLUSH_MS));
    return account;
  } finally {
    cancel();
    o.signal.removeEventListener('abort', onAbort);
    await endpoint.close();
  }
}

// What Bootstrap-Finish accepts: exactly one usable LwM2M Server account in the written objects 0 and 1.
import { describe, expect, it } from 'vitest';
import { fromStored, serverAccountOf, toStored, type Instances } from '../../src/lwm2m/bootstrap/server-account.js';
import type { ResourceValue } from '../../src/lwm2m/content/node.js';

const inst = (entries: Array<[number, ResourceValue]>): Map<number, ResourceValue> => new Map(entries);
const objects = (...list: Array<Map<number, ResourceValue>>): Instances => new Map(list.map((r, i) => [i, r]));
const bootstrapAccount = inst([[0, 'coap://bs'], [1, true], [2, 3]]);
const server = objects(inst([[0, 7], [1, 60], [7, 'U']]));

describe('serverAccountOf', () => {
  it('reads a NoSec account with its lifetime', () => {
    const sec = objects(bootstrapAccount, inst([[0, 'coap://dm.example:5683'], [1, false], [2, 3], [10, 7]]));
    expect(serverAccountOf(sec, server, 300)).toEqual({ uri: 'coap://dm.example:5683', mode: 3, shortServerId: 7, lifetimeS: 60 });
  });

  it('reads a PSK account with identity and key, and stores the key as hex only', () => {
    const key = Buffer.from('00112233', 'hex');
    const sec = objects(inst([[0, 'coaps://dm.example'], [1, false], [2, 0], [3, Buffer.from('gw-1')], [5, key], [10, 7]]));
    const account = serverAccountOf(sec, objects(inst([[0, 7]])), 300);
    expect(account).toEqual({ uri: 'coaps://dm.example', mode: 0, identity: 'gw-1', key, shortServerId: 7, lifetimeS: 300 });
    const stored = toStored(account as Exclude<typeof account, string>);
    expect(stored.keyHex).toBe('00112233');
    expect(fromStored(JSON.parse(JSON.stringify(stored)))).toEqual(account);
  });

  it.each([
    ['no server account', objects(bootstrapAccount), server, /no LwM2M Server account/],
    ['two server accounts', objects(inst([[0, 'coap://a'], [2, 3], [10, 7]]), inst([[0, 'coap://b'], [2, 3], [10, 8]])), server, /more than one/],
    ['no Server instance for the SSID', objects(inst([[0, 'coap://a'], [2, 3], [10, 9]])), server, /Short Server ID 9/],
    ['PSK without a key', objects(inst([[0, 'coaps://a'], [2, 0], [3, Buffer.from('id')], [10, 7]])), server, /identity .* and a key/],
    ['PSK on coap://', objects(inst([[0, 'coap://a'], [2, 0], [10, 7]])), server, /needs a coaps/],
    ['a certificate mode', objects(inst([[0, 'coaps://a'], [2, 2], [10, 7]])), server, /mode 2 is not supported/],
    ['a binding without U', objects(inst([[0, 'coap://a'], [2, 3], [10, 7]])), objects(inst([[0, 7], [7, 'T']])), /no U/],
    ['a lifetime under 10 s', objects(inst([[0, 'coap://a'], [2, 3], [10, 7]])), objects(inst([[0, 7], [1, 5]])), /out of range/],
  ])('refuses %s', (_why, sec, srv, reason) => {
    expect(serverAccountOf(sec, srv, 300)).toMatch(reason);
  });
});

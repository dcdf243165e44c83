// Content formats against the worked examples of the LwM2M TS Core (7.4.3 TLV, 7.4.4 SenML JSON,
// 7.4.5 SenML CBOR), round-trip properties, and malformed input that must decode to an error.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { codecs } from '../../src/lwm2m/content/content-formats.js';
import { decodeLinks, encodeLinks } from '../../src/lwm2m/content/link-format.js';
import { DecodeError, type Lwm2mRecord } from '../../src/lwm2m/content/node.js';
import { decodeSenmlCbor, encodeSenmlCbor } from '../../src/lwm2m/content/senml-cbor-format.js';
import { decodeSenmlJson, encodeSenmlJson } from '../../src/lwm2m/content/senml-json-format.js';
import { decodeText, encodeText } from '../../src/lwm2m/content/text-format.js';
import { decodeTlv, encodeTlv, type TypeOf } from '../../src/lwm2m/content/tlv-format.js';
import type { ResourceType } from '../../src/lwm2m/model/object-model.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

// Resource types of the OMA Device object (3) and Access Control object (2) used by the TS examples.
const TYPES: Record<string, ResourceType> = {
  '3/0': 'String', '3/1': 'String', '3/2': 'String', '3/3': 'String', '3/6': 'Integer', '3/7': 'Integer', '3/8': 'Integer',
  '3/9': 'Integer', '3/10': 'Integer', '3/11': 'Integer', '3/13': 'Time', '3/14': 'String', '3/16': 'String',
  '2/0': 'Integer', '2/1': 'Integer', '2/2': 'Integer', '2/3': 'Integer',
  '1/0': 'Integer', '1/1': 'Integer', '1/6': 'Boolean', '1/7': 'String',
};
const typeOf: TypeOf = (p) => TYPES[`${p[0]}/${p[2]}`];

// TS Core 7.4.3.3, "Single Object Instance Request Example": Read /3/0 in TLV.
const DEVICE_TLV = hex(`
  C8 00 14 4F 70 65 6E 20 4D 6F 62 69 6C 65 20 41 6C 6C 69 61 6E 63 65
  C8 01 16 4C 69 67 68 74 77 65 69 67 68 74 20 4D 32 4D 20 43 6C 69 65 6E 74
  C8 02 09 33 34 35 30 30 30 31 32 33
  C3 03 31 2E 30
  86 06 41 00 01 41 01 05
  88 07 08 42 00 0E D8 42 01 13 88
  87 08 41 00 7D 42 01 03 84
  C1 09 64
  C1 0A 0F
  83 0B 41 00 00
  C4 0D 51 82 42 8F
  C6 0E 2B 30 32 3A 30 30
  C1 10 55`);

const rec = (path: number[], value: Lwm2mRecord['value']): Lwm2mRecord => ({ path, type: typeOf(path)!, value });
const DEVICE_RECORDS: Lwm2mRecord[] = [
  rec([3, 0, 0], 'Open Mobile Alliance'),
  rec([3, 0, 1], 'Lightweight M2M Client'),
  rec([3, 0, 2], '345000123'),
  rec([3, 0, 3], '1.0'),
  rec([3, 0, 6, 0], 1),
  rec([3, 0, 6, 1], 5),
  rec([3, 0, 7, 0], 3800),
  rec([3, 0, 7, 1], 5000),
  rec([3, 0, 8, 0], 125),
  rec([3, 0, 8, 1], 900),
  rec([3, 0, 9], 100),
  rec([3, 0, 10], 15),
  rec([3, 0, 11, 0], 0),
  rec([3, 0, 13], 1367491215),
  rec([3, 0, 14], '+02:00'),
  rec([3, 0, 16], 'U'),
];

// TS Core 7.4.5: the same read as SenML CBOR, byte for byte.
const DEVICE_CBOR = hex(`
  90 a3 21 65 2f 33 2f 30 2f 00 61 30 03 74 4f 70 65 6e 20 4d 6f 62 69 6c 65 20 41 6c 6c 69 61 6e 63 65
  a2 00 61 31 03 76 4c 69 67 68 74 77 65 69 67 68 74 20 4d 32 4d 20 43 6c 69 65 6e 74
  a2 00 61 32 03 69 33 34 35 30 30 30 31 32 33 a2 00 61 33 03 63 31 2e 30
  a2 00 63 36 2f 30 02 01 a2 00 63 36 2f 31 02 05 a2 00 63 37 2f 30 02 19 0e d8 a2 00 63 37 2f 31 02 19 13 88
  a2 00 63 38 2f 30 02 18 7d a2 00 63 38 2f 31 02 19 03 84 a2 00 61 39 02 18 64 a2 00 62 31 30 02 0f
  a2 00 64 31 31 2f 30 02 00 a2 00 62 31 33 02 1a 51 82 42 8f a2 00 62 31 34 03 66 2b 30 32 3a 30 30
  a2 00 62 31 36 03 61 55`);

// TS Core 7.4.4: the same read as SenML JSON.
const DEVICE_JSON = `[{"bn":"/3/0/","n":"0","vs":"Open Mobile Alliance"},{"n":"1","vs":"Lightweight M2M Client"},
{"n":"2","vs":"345000123"},{"n":"3","vs":"1.0"},{"n":"6/0","v":1},{"n":"6/1","v":5},{"n":"7/0","v":3800},
{"n":"7/1","v":5000},{"n":"8/0","v":125},{"n":"8/1","v":900},{"n":"9","v":100},{"n":"10","v":15},
{"n":"11/0","v":0},{"n":"13","v":1367491215},{"n":"14","vs":"+02:00"},{"n":"16","vs":"U"}]`;

describe('TLV (TS Core 7.4.3)', () => {
  it('decodes the single object instance example', () => {
    expect(decodeTlv([3, 0], DEVICE_TLV, typeOf)).toEqual(DEVICE_RECORDS);
  });
  it('encodes the records back to the example bytes exactly', () => {
    expect(encodeTlv([3, 0], DEVICE_RECORDS).toString('hex')).toBe(DEVICE_TLV.toString('hex'));
  });
  it('decodes the multiple object instance example (Access Control, /2)', () => {
    const bytes = hex('08 00 0E C1 00 01 C1 01 00 83 02 41 7F 07 C1 03 7F 08 02 12 C1 00 03 C1 01 00 87 02 41 7F 07 61 01 36 01 C1 03 7F');
    const records = decodeTlv([2], bytes, typeOf);
    expect(records.map((r) => [r.path.join('/'), r.value])).toEqual([
      ['2/0/0', 1], ['2/0/1', 0], ['2/0/2/127', 7], ['2/0/3', 127],
      ['2/2/0', 3], ['2/2/1', 0], ['2/2/2/127', 7], ['2/2/2/310', 1], ['2/2/3', 127],
    ]);
    expect(encodeTlv([2], records).equals(bytes)).toBe(true);
  });
  it('decodes the Server object instance example with a 4-byte integer', () => {
    const records = decodeTlv([1], hex('08 00 0F C1 00 01 C4 01 00 01 51 80 C1 06 01 C1 07 55'), typeOf);
    expect(records.map((r) => r.value)).toEqual([1, 86400, true, 'U']);
  });
  it('takes a Create payload without the instance wrapper', () => {
    const records = decodeTlv([3], hex('C8 00 03 61 62 63'), typeOf);
    expect(records).toEqual([{ path: [3, 65535, 0], type: 'String', value: 'abc' }]);
  });
});

describe('SenML JSON (TS Core 7.4.4) and SenML CBOR (7.4.5)', () => {
  it('decodes the JSON example to the same records as the TLV example', () => {
    expect(decodeSenmlJson([3, 0], Buffer.from(DEVICE_JSON), typeOf)).toEqual(DEVICE_RECORDS);
  });
  it('encodes JSON equal to the example', () => {
    expect(JSON.parse(encodeSenmlJson([3, 0], DEVICE_RECORDS).toString())).toEqual(JSON.parse(DEVICE_JSON));
  });
  it('encodes CBOR byte for byte as the example', () => {
    expect(encodeSenmlCbor([3, 0], DEVICE_RECORDS).toString('hex')).toBe(DEVICE_CBOR.toString('hex'));
  });
  it('decodes the CBOR example', () => {
    expect(decodeSenmlCbor([3, 0], DEVICE_CBOR, typeOf)).toEqual(DEVICE_RECORDS);
  });
  it('writes a single resource with bn only', () => {
    expect(JSON.parse(encodeSenmlJson([3, 0, 0], [DEVICE_RECORDS[0]!]).toString())).toEqual([{ bn: '/3/0/0', vs: 'Open Mobile Alliance' }]);
  });
});

describe('text and link format', () => {
  it('text round-trips typed values and refuses what does not parse', () => {
    expect(decodeText([3, 0, 13], 'Time', Buffer.from('1367491215'))[0]!.value).toBe(1367491215);
    expect(encodeText([{ path: [1, 0, 6], type: 'Boolean', value: true }]).toString()).toBe('1');
    expect(() => decodeText([3, 0, 9], 'Integer', Buffer.from('12a'))).toThrow(DecodeError);
    expect(() => decodeText([1, 0, 6], 'Boolean', Buffer.from('yes'))).toThrow(DecodeError);
    expect(() => decodeText([3, 0, 0], 'String', Buffer.from([0xff, 0xfe]))).toThrow(DecodeError);
  });
  it('link format encodes and parses attributes', () => {
    const doc = encodeLinks([{ uri: '/', attributes: { rt: 'oma.lwm2m', ct: 110 } }, { uri: '/3/0/1', attributes: { pmin: 10, gt: 2.5 } }]).toString();
    expect(doc).toBe('</>;rt="oma.lwm2m";ct=110,</3/0/1>;pmin=10;gt=2.5');
    expect(decodeLinks(doc)).toEqual([{ uri: '/', attributes: { rt: 'oma.lwm2m', ct: 110 } }, { uri: '/3/0/1', attributes: { pmin: 10, gt: 2.5 } }]);
    expect(() => decodeLinks('</3/0>;pmin=1,oops')).toThrow(DecodeError);
  });
});

// Arbitrary instances of object 3 with the types above: values the type can hold.
const valueFor = (type: ResourceType): fc.Arbitrary<Lwm2mRecord['value']> =>
  type === 'String' ? fc.string({ maxLength: 300 }) : type === 'Boolean' ? fc.boolean() : fc.maxSafeInteger();
const multi = new Set([6, 7, 8, 11]);
const instanceArb = fc
  .uniqueArray(fc.constantFrom(0, 1, 2, 3, 6, 7, 8, 9, 10, 11, 13, 14, 16), { minLength: 1 })
  .chain((rids) =>
    fc.tuple(
      ...rids.sort((a, b) => a - b).map((rid) => {
        const type = typeOf([3, 0, rid])!;
        if (!multi.has(rid)) return valueFor(type).map((value): Lwm2mRecord[] => [{ path: [3, 0, rid], type, value }]);
        return fc.uniqueArray(fc.integer({ min: 0, max: 65535 }), { minLength: 1, maxLength: 4 }).chain((riids) =>
          fc.tuple(...riids.map((ri) => valueFor(type).map((value): Lwm2mRecord => ({ path: [3, 0, rid, ri], type, value })))),
        );
      }),
    ).map((groups) => groups.flat()),
  );

describe('round trips (fast-check)', () => {
  for (const format of [11542, 110, 112]) {
    it(`format ${format}: decode(encode(x)) = x for an instance`, () => {
      const codec = codecs.get(format)!;
      fc.assert(fc.property(instanceArb, (records) => {
        expect(codec.decode([3, 0], codec.encode([3, 0], records), typeOf)).toEqual(records);
      }));
    });
  }
  it('TLV keeps floats (4 or 8 bytes) and signed integers of every width', () => {
    const types: TypeOf = (p) => (p[2] === 0 ? 'Float' : 'Integer');
    fc.assert(fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.maxSafeInteger(), (f, i) => {
      const records: Lwm2mRecord[] = [{ path: [9, 0, 0], type: 'Float', value: f }, { path: [9, 0, 1], type: 'Integer', value: i }];
      expect(decodeTlv([9, 0], encodeTlv([9, 0], records), types)).toEqual(records);
    }));
  });
});

describe('malformed input gives a DecodeError, never a crash', () => {
  for (const format of [11542, 110, 112]) {
    it(`format ${format}: random bytes`, () => {
      const codec = codecs.get(format)!;
      fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        try {
          codec.decode([3, 0], Buffer.from(bytes), typeOf);
        } catch (err) {
          expect(err).toBeInstanceOf(DecodeError);
        }
      }), { numRuns: 2000 });
    });
    it(`format ${format}: a valid payload cut short or with a byte flipped`, () => {
      const codec = codecs.get(format)!;
      const good = codec.encode([3, 0], DEVICE_RECORDS);
      fc.assert(fc.property(fc.nat(good.length - 1), fc.nat(255), fc.boolean(), (at, byte, cut) => {
        const bad = cut ? good.subarray(0, at) : Buffer.from(good).fill(byte, at, at + 1);
        try {
          codec.decode([3, 0], bad, typeOf);
        } catch (err) {
          expect(err).toBeInstanceOf(DecodeError);
        }
      }), { numRuns: 2000 });
    });
  }
  it('names known failures', () => {
    expect(() => decodeTlv([3, 0], hex('C8 00 14 4F'), typeOf)).toThrow(/runs past/);
    expect(() => decodeTlv([3, 0], hex('C2 09 64'), typeOf)).toThrow(DecodeError); // 2-byte length field missing
    expect(() => decodeSenmlJson([3, 0], Buffer.from('{"bn":"/3/0/"}'), typeOf)).toThrow(/array/);
    expect(() => decodeSenmlJson([3, 0], Buffer.from('[{"bn":"/3/0/","n":"9","vs":"x"}]'), typeOf)).toThrow(DecodeError);
    expect(() => decodeSenmlJson([3, 0], Buffer.from('[{"n":"/4/0/0","v":1}]'), typeOf)).toThrow(/not a resource under/);
    expect(() => decodeSenmlCbor([3, 0], hex('9f ff ff'), typeOf)).toThrow(DecodeError);
  });
});

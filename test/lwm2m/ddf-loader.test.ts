// The DDF loader: the shipped objects, and malformed documents refused with a reason.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DdfError, loadObjectModels, parseDdf } from '../../src/lwm2m/model/ddf-loader.js';

const OBJECTS = fileURLToPath(new URL('../../objects', import.meta.url));

const doc = (items: string, extra = '') => `<?xml version="1.0"?><LWM2M><Object ObjectType="MODefinition"><Name>T &amp; U</Name>
<ObjectID>42000</ObjectID><MultipleInstances>Multiple</MultipleInstances><Mandatory>Optional</Mandatory>${extra}
<Resources>${items}</Resources></Object></LWM2M>`;
const item = (id: string, ops: string, type: string, multi = 'Single') =>
  `<Item ID="${id}"><Name>r${id}</Name><Operations>${ops}</Operations><MultipleInstances>${multi}</MultipleInstances><Mandatory>Optional</Mandatory><Type>${type}</Type></Item>`;

describe('DDF loader', () => {
  it('loads the shipped objects with types and operations from the XML', async () => {
    const models = await loadObjectModels(OBJECTS);
    expect([...models.keys()].sort((a, b) => a - b)).toEqual([0, 1, 3, 9, 33000, 33001, 33002]);
    // Object 9 as the OMNA registry lists version 1.0: Install executable, Update State an Integer, Package URI write-only.
    const software = models.get(9)!;
    expect(software).toMatchObject({ name: 'LWM2M Software Management', version: '1.0', multiple: true });
    expect(software.resources.get(4)).toMatchObject({ name: 'Install', type: 'none' });
    expect(software.resources.get(7)).toMatchObject({ name: 'Update State', type: 'Integer' });
    expect([...software.resources.get(3)!.operations]).toEqual(['W']);
    expect([...software.resources.keys()]).toEqual([...Array(16).keys()]);
    const service = models.get(33000)!;
    expect(service.multiple).toBe(true);
    expect(service.resources.get(8)).toMatchObject({ name: 'Config', type: 'String', multiple: false });
    expect([...service.resources.get(8)!.operations]).toEqual(['R', 'W']);
    expect(service.resources.get(5)).toMatchObject({ name: 'Restart', type: 'none' });
    expect(models.get(3)!.resources.get(11)!.multiple).toBe(true);
    expect(models.get(3)!.resources.get(13)!.type).toBe('Time');
    expect(Object.isFrozen(service)).toBe(true);
  });

  it('parses entities, CDATA and comments', () => {
    const [m] = parseDdf(doc(item('0', 'RW', 'Float') + '<!-- note -->', '<Description1><![CDATA[a <b> c]]></Description1>'));
    expect(m!.name).toBe('T & U');
    expect(m!.resources.get(0)!.type).toBe('Float');
  });

  it.each([
    ['an unknown type', doc(item('0', 'R', 'Decimal')), /unknown Type/],
    ['a bad operation', doc(item('0', 'RX', 'String')), /Operations/],
    ['an executable with a type', doc(item('0', 'E', 'String')), /no Type/],
    ['a duplicate resource', doc(item('1', 'R', 'String') + item('1', 'R', 'String')), /twice/],
    ['an id out of range', doc(item('70000', 'R', 'String')), /invalid id/],
    ['a bad multiplicity', doc(item('0', 'R', 'String', 'Many')), /Single or Multiple/],
    ['mismatched tags', '<LWM2M><Object></LWM2M>', /mismatched/],
    ['unterminated XML', '<LWM2M><Object>', /unterminated/],
    ['a DTD', '<!DOCTYPE x><LWM2M/>', /DTD/],
    ['another root', '<Other/>', /root element/],
  ])('refuses %s', (_what, xml, why) => {
    expect(() => parseDdf(xml, 'test.xml')).toThrow(DdfError);
    expect(() => parseDdf(xml, 'test.xml')).toThrow(why);
  });
});

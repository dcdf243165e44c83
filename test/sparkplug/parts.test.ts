// The pure parts of the Sparkplug front: STATE judgement, topic parsing, the metric tree's DATA rule.
import { describe, expect, it } from 'vitest';
import { HostStateWatch } from '../../src/sparkplug/host-state.js';
import { newServiceSet } from '../../src/sparkplug/metric-tree.js';
import { SparkplugTopics } from '../../src/sparkplug/topics.js';

describe('HostStateWatch', () => {
  it.each([
    ['not JSON', 'ONLINE', 'bad'],
    ['3.0 JSON without timestamp', '{"online":true}', 'bad'],
    ['online as a string', '{"online":"true","timestamp":1}', 'bad'],
    ['a fractional timestamp', '{"online":true,"timestamp":1.5}', 'bad'],
    ['an array', '[true, 1]', 'bad'],
    ['online', '{"online":true,"timestamp":5}', 'online'],
    ['offline', '{"online":false,"timestamp":5}', 'offline'],
  ])('%s -> %s', (_what, payload, kind) => {
    expect(new HostStateWatch().judge(Buffer.from(payload)).kind).toBe(kind);
  });

  it('an older timestamp changes nothing; an equal one counts (the retained copy after a reconnect)', () => {
    const w = new HostStateWatch();
    expect(w.judge(Buffer.from('{"online":true,"timestamp":10}')).kind).toBe('online');
    expect(w.judge(Buffer.from('{"online":false,"timestamp":9}'))).toEqual({ kind: 'older', timestamp: 9, last: 10 });
    expect(w.online).toBe(true);
    expect(w.judge(Buffer.from('{"online":false,"timestamp":10}')).kind).toBe('offline');
    expect(w.online).toBe(false);
  });

  it('a payload far larger than a STATE is not read', () => {
    expect(new HostStateWatch().judge(Buffer.alloc(4096, 0x20)).kind).toBe('bad');
  });
});

describe('SparkplugTopics', () => {
  const t = new SparkplugTopics('plant', 'gw1');
  it.each([
    ['spBv1.0/plant/NCMD/gw1', { kind: 'NCMD' }],
    ['spBv1.0/plant/DCMD/gw1/web', { kind: 'DCMD', device: 'web' }],
    ['spBv1.0/plant/DCMD/gw1/web/x', { kind: 'other' }],
    ['spBv1.0/plant/DCMD/gw1/', { kind: 'other' }],
    ['spBv1.0/STATE/scada', { kind: 'STATE', hostId: 'scada' }],
    ['spBv1.0/plant/NCMD/gw2', { kind: 'other' }],
    ['spBv1.0/other/DCMD/gw1/web', { kind: 'other' }],
  ])('%s', (topic, parsed) => expect(t.parse(topic)).toEqual(parsed));

  it('names the node and device topics', () => {
    expect([t.nbirth, t.ndeath, t.ndata, t.ncmd, t.dcmdFilter, t.dbirth('a'), t.ddata('a'), t.ddeath('a')]).toEqual([
      'spBv1.0/plant/NBIRTH/gw1',
      'spBv1.0/plant/NDEATH/gw1',
      'spBv1.0/plant/NDATA/gw1',
      'spBv1.0/plant/NCMD/gw1',
      'spBv1.0/plant/DCMD/gw1/+',
      'spBv1.0/plant/DBIRTH/gw1/a',
      'spBv1.0/plant/DDATA/gw1/a',
      'spBv1.0/plant/DDEATH/gw1/a',
    ]);
  });
});

describe('MetricSet', () => {
  it('a birth has every metric with its datatype; DATA only what changed, without datatype', () => {
    const s = newServiceSet();
    expect(s.birth(1)).toHaveLength(10);
    expect(s.update({ Status: 'RUNNING', Health: 'UNKNOWN', Restarts: 0 }, 2)).toEqual([{ name: 'Status', type: 'String', value: 'RUNNING', timestamp: 2, withType: false }]);
    expect(s.update({ Status: 'RUNNING' }, 3)).toEqual([]);
    expect(s.update({ 'Last Exit Code': 3 }, 4).map((m) => [m.name, m.value])).toEqual([['Last Exit Code', 3]]);
  });

  it('ignores names outside its set', () => {
    const s = newServiceSet();
    expect(s.update({ Nope: 1 } as never, 1)).toEqual([]);
    expect(s.birth(1).map((m) => m.name)).not.toContain('Nope');
  });
});

// The LwM2M front against an LwM2M server we did not write: lwm2m-node-lib (LwM2M 1.0, text formats),
// run in a child process. The agent side is the real Inbox, operations and embedded registry
// (fixtures/agent-harness.ts); only the supervisor and the trust tracker are stand-ins.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lwm2mClient } from '../../src/lwm2m/lwm2m-front.js';
import { clientFor, openAgentHarness, type AgentHarness } from './fixtures/agent-harness.js';
import { Lwm2mServerProcess, PIGGYBACK_ONLY } from './fixtures/server-process.js';
import { OPERATOR } from '../support/principals.js';

const EP = 'gw-node-lib';

describe('LwM2M client against lwm2m-node-lib', () => {
  let server: Lwm2mServerProcess;
  let agent: AgentHarness;
  let client: Lwm2mClient;

  const register = async (name: string): Promise<void> => {
    const ticket = await agent.inbox.accept({ op: 'registry.register', body: { name, check: { type: 'none' }, config: { level: 'info' } }, origin: 'mqtt', principal: OPERATOR });
    expect((await ticket.done).ok).toBe(true);
  };
  const cmd = (c: string, args: Record<string, unknown>) => server.command(c, { ep: EP, ...args });

  beforeAll(async () => {
    server = await Lwm2mServerProcess.start();
    agent = await openAgentHarness();
    await register('alpha');
    await register('beta');
    client = clientFor(agent, { serverPort: server.port, endpoint: EP, acceptFrom: 'server', parameters: { piggybackReplyMs: PIGGYBACK_ONLY.separateResponseAfterMs, retryMinMs: 100, retryMaxMs: 1000, requestTimeoutMs: 5000 } });
    await client.start();
  });

  afterAll(async () => {
    await client?.stop();
    await server?.stop();
    await agent?.close();
  });

  it('registers with lwm2m=1.1, b=U, its lifetime and the object links', async () => {
    const reg = await server.waitFor((e) => e.event === 'registration' && e.ep === EP);
    expect(reg).toMatchObject({ version: '1.1', binding: 'U', lt: '60' });
    const payload = String(reg.payload);
    expect(payload).toContain('</>;rt="oma.lwm2m";ct=110');
    for (const link of ['</3/0>', '</33000/0>', '</33000/1>', '</33001/0>', '</33002/0>', '</33002/1>']) expect(payload).toContain(link);
  });

  it('answers Read on device and service resources', async () => {
    expect(await cmd('read', { path: '/3/0/0' })).toBe('sma-bridge');
    expect(await cmd('read', { path: '/3/0/17' })).toBe('gateway');
    expect(await cmd('read', { path: '/33000/0/0' })).toBe('alpha');
    expect(await cmd('read', { path: '/33000/1/1' })).toBe('RUNNING');
    expect(await cmd('read', { path: '/33000/0/7' })).toBe('1048576');
    expect(await cmd('read', { path: '/33001/0/2' })).toBe('2');
    expect(await cmd('read', { path: '/33002/1/1' })).toBe('NONE');
    await expect(cmd('read', { path: '/33000/9/0' })).rejects.toMatchObject({ code: '4.04' });
    await expect(cmd('read', { path: '/33000/0/3' })).rejects.toMatchObject({ code: '4.05' });
  });

  it('Write on Config replaces it through config.set', async () => {
    expect(await cmd('write', { path: '/33000/0/8', value: '{"port":8080}' })).toBe('');
    expect(JSON.parse(String(await cmd('read', { path: '/33000/0/8' })))).toEqual({ port: 8080 });
    expect((await agent.registry.get('alpha'))?.config).toEqual({ port: 8080 });
    await expect(cmd('write', { path: '/33000/0/8', value: 'not json' })).rejects.toMatchObject({ code: '4.00' });
    await expect(cmd('write', { path: '/33000/0/1', value: 'RUNNING' })).rejects.toMatchObject({ code: '4.05' });
  });

  it('Execute Stop runs services.stop', async () => {
    expect(await cmd('execute', { path: '/33000/1/4' })).toBe('');
    expect(agent.services.status.get('beta')).toBe('STOPPED');
    expect(await cmd('read', { path: '/33000/1/1' })).toBe('STOPPED');
    expect(await cmd('read', { path: '/33000/1/12' })).toBe('stop OK');
  });

  it('Discover lists the instance and its resources', async () => {
    const links = String(await cmd('discover', { path: '/33000/0' }));
    expect(links.startsWith('</33000/0>,')).toBe(true);
    for (const r of [0, 1, 2, 3, 4, 5, 8, 9]) expect(links).toContain(`</33000/0/${r}>`);
    expect(String(await cmd('discover', { path: '/3/0' }))).not.toContain('</3/0/4>'); // no reboot command
  });

  it('Observe on Status notifies on a status change', async () => {
    expect(await cmd('observe', { path: '/33000/0/1' })).toBe('RUNNING');
    const from = server.events.length;
    agent.services.set('alpha', 'FAILED');
    const note = await server.waitFor((e) => e.event === 'notify' && e.path === '/33000/0/1', from);
    expect(note.value).toBe('FAILED');
  });

  it('sends an Update with the new links when a service registers', async () => {
    const from = server.events.length;
    await register('gamma');
    const update = await server.waitFor((e) => e.event === 'update' && e.ep === EP, from);
    expect(String(update.payload)).toContain('</33000/2>');
    expect(await cmd('read', { path: '/33000/2/0' })).toBe('gamma');
  });

  it('registers again after the server restarts and forgets it', async () => {
    const port = server.port;
    await server.stop();
    server = await Lwm2mServerProcess.start(port);
    // The next Update (here, caused by a new service) gets 4.04 from the fresh server.
    await register('delta');
    const reg = await server.waitFor((e) => e.event === 'registration' && e.ep === EP);
    expect(String(reg.payload)).toContain('</33000/3>');
    expect(await cmd('read', { path: '/33000/3/0' })).toBe('delta');
  });

  it('de-registers on stop', async () => {
    const from = server.events.length;
    await client.stop();
    await server.waitFor((e) => e.event === 'unregistration' && e.ep === EP, from);
  });
});

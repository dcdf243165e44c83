// Issue 5: a damaged LevelDB never turns into an empty registry. Start refuses with one clear line and exit
// status 1, keeps refusing until `sma-bridge repair-store --data-dir DIR` has run, and the repair keeps a copy.
import { afterEach, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, startAgent, tempDir, type AgentProcess } from '../support/agent-process.js';
import { MqttRequester } from '../support/mqtt-requester.js';

const NAMES = ['alpha', 'beta', 'gamma'];

function configFile(dataDir: string): string {
  const path = join(dataDir, 'refused.json');
  writeFileSync(path, JSON.stringify({ agent: { id: 'corrupt' }, dataDir, http: { port: 0 }, mqtt: { broker: { port: 0 } }, log: { level: 'warn' } }));
  return path;
}

const cli = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 20_000 });

describe('a corrupted store', () => {
  let agent: AgentProcess | undefined;
  afterEach(async () => {
    await agent?.stop();
    agent = undefined;
  });

  /** An agent that registered NAMES and was stopped; `rounds` restarts move the data from the log into tables. */
  async function storeWithServices(rounds: number): Promise<string> {
    const dataDir = tempDir('sma-corrupt-');
    for (let round = 0; round < rounds; round++) {
      agent = await startAgent({ agent: { id: 'corrupt' } }, { dataDir });
      if (round === 0) {
        const mqtt = await MqttRequester.forAgent(agent);
        for (const name of NAMES) expect((await mqtt.request('registry.register', { name, check: { type: 'none' }, config: { pad: 'x'.repeat(300) } })).ok).toBe(true);
        await mqtt.close();
      }
      expect(await agent.stop()).toBe(0);
      agent = undefined;
    }
    return dataDir;
  }

  const db = (dataDir: string) => join(dataDir, 'db');
  const filesOf = (dataDir: string, pattern: RegExp) => readdirSync(db(dataDir)).filter((f) => pattern.test(f) && statSync(join(db(dataDir), f)).size > 0);

  function expectRefusal(dataDir: string): string {
    const run = cli('start', '-c', configFile(dataDir));
    expect(run.status, run.stderr).toBe(1);
    const lines = run.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^sma-bridge: cannot start: the store .* (corrupted|damaged|cannot be opened)/);
    expect(lines[0]).toContain(`sma-bridge repair-store --data-dir ${dataDir}`);
    return lines[0];
  }

  async function listAfterRepair(dataDir: string): Promise<string[]> {
    const repair = cli('repair-store', '--data-dir', dataDir);
    expect(repair.status, repair.stderr).toBe(0);
    expect(repair.stdout).toMatch(/repaired .*\nentries kept: /);
    const backup = /copied to (\S+)/.exec(repair.stdout)?.[1];
    expect(backup && existsSync(backup)).toBe(true);
    agent = await startAgent({ agent: { id: 'corrupt' } }, { dataDir });
    const mqtt = await MqttRequester.forAgent(agent);
    const list = await mqtt.request('services.list', { includeDeregistered: true });
    await mqtt.close();
    return (list.result as Array<{ name: string }>).map((v) => v.name).sort();
  }

  it('garbled CURRENT: start refuses; repair rebuilds the index and every service is back', async () => {
    const dataDir = await storeWithServices(2);
    writeFileSync(join(db(dataDir), 'CURRENT'), 'MANIFEST-999999\n');
    expectRefusal(dataDir);
    expect(await listAfterRepair(dataDir)).toEqual(NAMES);
  });

  it('a table file overwritten with garbage: start refuses, and keeps refusing until repaired', async () => {
    const dataDir = await storeWithServices(2);
    const tables = filesOf(dataDir, /\.ldb$/);
    expect(tables.length).toBeGreaterThan(0);
    for (const t of tables) writeFileSync(join(db(dataDir), t), Buffer.alloc(statSync(join(db(dataDir), t)).size, 0x5a));
    const first = expectRefusal(dataDir);
    expect(first).toMatch(/corrupted/);
    // A second attempt must not find a "clean" store that LevelDB emptied on the first one.
    expect(expectRefusal(dataDir)).toMatch(/damaged by an earlier start/);
    // What repair salvages from garbage is nothing, but it says so, and the agent starts on it.
    expect(await listAfterRepair(dataDir)).toEqual([]);
  });

  it('a damaged log record: LevelDB would drop it silently; start refuses instead', async () => {
    const dataDir = await storeWithServices(1);
    const [log] = filesOf(dataDir, /\.log$/);
    expect(log).toBeDefined();
    const bytes = readFileSync(join(db(dataDir), log));
    for (let i = Math.floor(bytes.length / 2); i < Math.floor(bytes.length / 2) + 64; i++) bytes[i] ^= 0xff;
    writeFileSync(join(db(dataDir), log), bytes);
    expect(expectRefusal(dataDir)).toMatch(/dropped damaged data/);
    expect(expectRefusal(dataDir)).toMatch(/damaged by an earlier start/);
    const names = await listAfterRepair(dataDir);
    // Records before the damage come back; the damaged block is lost, which the operator chose by repairing.
    expect(names.every((n) => NAMES.includes(n))).toBe(true);
  });

  it('repair-store refuses while an agent holds the store, and needs a data dir', async () => {
    const dataDir = tempDir('sma-corrupt-');
    agent = await startAgent({ agent: { id: 'corrupt' } }, { dataDir });
    const busy = cli('repair-store', '--data-dir', dataDir);
    expect(busy.status).toBe(1);
    expect(busy.stderr.trim()).toMatch(/^sma-bridge: repair-store: the store .* is in use by process \d+; stop the agent first$/);
    const usage = cli('repair-store');
    expect(usage.status).toBe(2);
    expect(usage.stderr.trim().split('\n')).toHaveLength(1);
  });
});

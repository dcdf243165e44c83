// Issue 5 acceptance: SIGKILL the agent at a random moment inside a batch of commands, start it again on the
// same dataDir and repeat the same correlationIds. Every command is answered exactly once (the same answer
// before and after the crash: INTERRUPTED or its real result), none is executed twice (the executor script
// logs every run), and no registration that was answered OK is ever lost.
import { afterAll, describe, expect, it } from 'vitest';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startAgent, tempDir, type AgentProcess } from '../support/agent-process.js';
import { MqttRequester, type Reply } from '../support/mqtt-requester.js';
import { waitFor } from '../support/wait-for.js';

const TRIALS = Number(process.env.SMA_CRASH_TRIALS ?? 100);
const SEED = Number(process.env.SMA_CRASH_SEED ?? Date.now() % 1_000_000);

/** mulberry32: a small seeded generator, so a failing run can be replayed with SMA_CRASH_SEED. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Sent {
  cid: string;
  op: 'registry.register' | 'services.restart';
  body: Record<string, unknown>;
  name: string;
}

const isInterrupted = (r: Reply): boolean => !r.ok && r.error?.code === 'INTERRUPTED';

describe('crash trials: SIGKILL inside a batch, restart, repeat the correlationIds', () => {
  const dir = tempDir('sma-crash-');
  const dataDir = join(dir, 'data');
  mkdirSync(dataDir);
  const runs = join(dir, 'runs.log');
  const script = join(dir, 'executor.sh');
  let agent: AgentProcess | undefined;
  let mqtt: MqttRequester | undefined;

  afterAll(async () => {
    await mqtt?.close().catch(() => undefined);
    await agent?.stop('SIGKILL');
  });

  it(`answers every command exactly once over ${TRIALS} SIGKILLs (seed ${SEED})`, { timeout: 240_000 }, async () => {
    writeFileSync(script, `#!/bin/sh\necho "$1 $2" >> "${runs}"\n[ "$2" = metrics ] && echo '{"cpuUsedPercent":0,"memoryUsed":0}'\nexit 0\n`);
    chmodSync(script, 0o755);
    const config = {
      agent: { id: 'crash' },
      executor: { type: 'command', path: script, timeoutMs: 5_000 },
      health: { intervalMs: 600_000 },
      operations: { timeoutMs: 10_000 },
    };
    const rnd = random(SEED);
    const confirmed: string[] = []; // registrations answered OK, to be found after every restart
    const restartable: string[] = []; // confirmed and never restarted yet: each service is restarted once at most
    const verdicts: Record<string, Reply> = {};
    let previous: Array<Sent & { before: Reply[] }> = [];
    const figures = { trials: 0, commands: 0, interrupted: 0, answered: 0, answeredBeforeKill: 0, midBatchKills: 0 };

    for (let trial = 0; trial <= TRIALS; trial++) {
      agent = await startAgent(config, { dataDir });
      mqtt = await MqttRequester.forAgent(agent);

      // The same correlationIds again: each gets the stored answer, or runs now if it never got journaled.
      const client = mqtt;
      const repeats = await Promise.all(previous.map((cmd) => client.request(cmd.op, { ...cmd.body, correlationId: cmd.cid }, 20_000)));
      for (const [i, cmd] of previous.entries()) {
        const again = repeats[i];
        for (const b of cmd.before) expect(b, `trial ${trial - 1} ${cmd.cid}: answered differently before the crash`).toEqual(again);
        expect(again.ok || isInterrupted(again), `${cmd.cid}: ${JSON.stringify(again)}`).toBe(true);
        verdicts[cmd.cid] = again;
        if (isInterrupted(again)) figures.interrupted++;
        else figures.answered++;
        if (cmd.op === 'registry.register' && again.ok) {
          confirmed.push(cmd.name);
          restartable.push(cmd.name);
        }
        if (cmd.op === 'services.restart' && again.ok) {
          expect((again.result as Array<{ result: string }>)[0].result).toBe('OK');
        }
      }
      const listed = await mqtt.request('services.list', { includeDeregistered: true });
      const names = new Set((listed.result as Array<{ name: string }>).map((v) => v.name));
      for (const name of confirmed) expect(names.has(name), `registration ${name} lost after trial ${trial - 1}`).toBe(true);
      if (trial === TRIALS) break;

      // A new batch, published all at once; the agent is killed at a random moment while it works on it.
      const batch: Sent[] = [];
      for (let i = 0; i < 4; i++) {
        const name = `t${trial}-s${i}`;
        batch.push({ cid: `reg-${name}`, op: 'registry.register', name, body: { name, check: { type: 'none' } } });
        const target = restartable.shift();
        if (target) batch.push({ cid: `rst-${target}`, op: 'services.restart', name: target, body: { names: [target] } });
      }
      for (const cmd of batch) void client.publishRaw(`${agent.topicRoot}/request/${cmd.op}`, JSON.stringify({ ...cmd.body, correlationId: cmd.cid })).catch(() => undefined);
      await new Promise((r) => setTimeout(r, Math.floor(rnd() * 45)));
      agent.child.kill('SIGKILL');
      await waitFor('agent gone', () => agent!.child.exitCode !== null || agent!.child.signalCode !== null, 10_000);
      const before = (cid: string): Reply[] =>
        client.messages.filter((m) => m.topic === `${agent!.topicRoot}/response/${cid}`).map((m) => JSON.parse(m.payload.toString()) as Reply);
      previous = batch.map((cmd) => ({ ...cmd, before: before(cmd.cid) }));
      const answeredBefore = previous.filter((c) => c.before.length > 0).length;
      figures.answeredBeforeKill += answeredBefore;
      if (answeredBefore > 0 && answeredBefore < batch.length) figures.midBatchKills++;
      figures.commands += batch.length;
      figures.trials++;
      await client.close().catch(() => undefined);
      mqtt = undefined;
    }

    // Executed at most once: every restart run is a line in the script's log; a restart answered OK ran exactly once.
    const lines = existsSync(runs) ? readFileSync(runs, 'utf8').trim().split('\n') : [];
    const counts = new Map<string, number>();
    for (const line of lines) counts.set(line, (counts.get(line) ?? 0) + 1);
    for (const [line, n] of counts) if (line.endsWith(' restart')) expect(n, `${line} ran ${n} times`).toBe(1);
    for (const [cid, reply] of Object.entries(verdicts)) {
      if (!cid.startsWith('rst-') || !reply.ok) continue;
      expect(counts.get(`${cid.slice(4)} restart`), `${cid} answered OK but never ran`).toBe(1);
    }
    expect(figures.trials).toBe(TRIALS);
    // The kills must land inside batches often enough for the test to mean something.
    expect(figures.midBatchKills).toBeGreaterThan(TRIALS / 20);
    expect(figures.interrupted).toBeGreaterThan(0);
    expect(figures.interrupted + figures.answered).toBe(figures.commands);
    console.log(`crash trials (seed ${SEED}): ${JSON.stringify({ ...figures, registrationsKept: confirmed.length, executorRuns: lines.length })}`);
    await mqtt?.close();
    mqtt = undefined;
    expect(await agent!.stop('SIGTERM')).toBe(0);
  });
});

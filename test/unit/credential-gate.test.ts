// The gate in front of every scrypt check: never more than its concurrency at once, BUSY once its line is full.
import { describe, expect, it } from 'vitest';
import { BUSY, CredentialGate } from '../../src/security/credential-gate.js';

describe('CredentialGate', () => {
  it('runs at most `concurrency` checks at once, in arrival order, and turns the rest away past its line', async () => {
    let running = 0;
    let most = 0;
    const order: string[] = [];
    const pending: Array<() => void> = [];
    const verify = async (password: string, hash: string): Promise<boolean> => {
      running++;
      most = Math.max(most, running);
      order.push(password);
      await new Promise<void>((resolve) => pending.push(resolve));
      running--;
      return password === hash;
    };
    const gate = new CredentialGate(2, 3, verify);
    const checks = ['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((p) => gate.check(p, p === 'c' ? 'c' : 'x'));
    // 2 running, 3 in line, 2 turned away at once.
    expect(await Promise.all(checks.slice(5))).toEqual([BUSY, BUSY]);
    while (pending.length > 0 || running > 0) {
      pending.shift()?.();
      await new Promise((r) => setImmediate(r));
      // A newcomer while waiters are handed slots must not run beside them.
      if (order.length === 3) void gate.check('late', 'x');
    }
    expect(await Promise.all(checks.slice(0, 5))).toEqual([false, false, true, false, false]);
    expect(most).toBe(2);
    expect(order).toEqual(['a', 'b', 'c', 'd', 'e', 'late']);
  });

  it('frees its place when a check throws', async () => {
    const gate = new CredentialGate(1, 0, async () => {
      throw new Error('bad hash');
    });
    await expect(gate.check('p', 'h')).rejects.toThrow('bad hash');
    await expect(gate.check('p', 'h')).rejects.toThrow('bad hash');
  });
});

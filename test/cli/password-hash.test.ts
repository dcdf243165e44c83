// scrypt hashes: the format `sma-bridge passwd` prints and the broker verifies.
import { describe, expect, it } from 'vitest';
import { DEFAULT_SCRYPT, hashPassword, parsePasswordHash, verifyPassword } from '../../src/security/password-hash.js';
import { runCli } from './cli-harness.js';

// A low cost keeps the suite quick; the default is exercised by the passwd command below.
const cheap = { N: 1024, r: 8, p: 1 };

describe('password hashes', () => {
  it('round-trips: the right password verifies, a wrong one does not', async () => {
    const encoded = await hashPassword('correct horse', cheap);
    expect(encoded).toMatch(/^scrypt\$1024\$8\$1\$[A-Za-z0-9+/]+=*\$[A-Za-z0-9+/]+=*$/);
    expect(await verifyPassword('correct horse', encoded)).toBe(true);
    expect(await verifyPassword('correct horsE', encoded)).toBe(false);
    expect(await verifyPassword('', encoded)).toBe(false);
  });

  it('salts every hash afresh', async () => {
    const [a, b] = await Promise.all([hashPassword('same', cheap), hashPassword('same', cheap)]);
    expect(a).not.toBe(b);
    expect(await verifyPassword('same', a)).toBe(true);
    expect(await verifyPassword('same', b)).toBe(true);
  });

  it('treats composed and decomposed Unicode alike', async () => {
    const encoded = await hashPassword('caf\u00e9', cheap);
    expect(await verifyPassword('cafe\u0301', encoded)).toBe(true);
  });

  const malformed = [
    '',
    'plain-text-password',
    'bcrypt$10$8$1$c2FsdHNhbHQ=$aGFzaGhhc2hoYXNoaGFzaA==',
    'scrypt$1000$8$1$c2FsdHNhbHQ=$aGFzaGhhc2hoYXNoaGFzaA==', // N not a power of two
    'scrypt$1048576$16$1$c2FsdHNhbHQ=$aGFzaGhhc2hoYXNoaGFzaA==', // 2 GiB: refused, not allocated
    'scrypt$1024$8$1$not base64!$aGFzaGhhc2hoYXNoaGFzaA==',
    'scrypt$1024$8$1$c2FsdHNhbHQ=',
  ];
  it.each(malformed)('refuses the malformed hash %j without throwing', async (encoded) => {
    expect(parsePasswordHash(encoded)).toBeUndefined();
    expect(await verifyPassword('anything', encoded)).toBe(false);
  });

  it('refuses to make a hash with unsafe parameters', async () => {
    await expect(hashPassword('x', { N: 1000, r: 8, p: 1 })).rejects.toThrow(/unsupported scrypt parameters/);
  });
});

describe('sma-bridge passwd', () => {
  it('prints a default-cost hash of the first stdin line that verifies', async () => {
    const run = await runCli(['passwd'], 's3cret\nignored second line\n');
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    const encoded = run.stdout.trim();
    expect(parsePasswordHash(encoded)).toMatchObject(DEFAULT_SCRYPT);
    expect(await verifyPassword('s3cret', encoded)).toBe(true);
    expect(await verifyPassword('s3cret\n', encoded)).toBe(false);
  });

  it('takes a password piped without a newline', async () => {
    const run = await runCli(['passwd'], 'no-newline');
    expect(run.code).toBe(0);
    expect(await verifyPassword('no-newline', run.stdout.trim())).toBe(true);
  });

  it('refuses an empty password with exit 2', async () => {
    const run = await runCli(['passwd'], '\n');
    expect(run).toEqual({ code: 2, stdout: '', stderr: 'sma-bridge: no password given on stdin\n' });
  });
});

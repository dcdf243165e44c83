// Free bytes where the agent writes versions (what an unprivileged process may use).
import { mkdir, statfs } from 'node:fs/promises';

export async function freeBytes(dir: string): Promise<number> {
  await mkdir(dir, { recursive: true });
  const s = await statfs(dir);
  return s.bavail * s.bsize;
}

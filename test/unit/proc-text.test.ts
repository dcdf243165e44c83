// /proc read without Node's 64 KiB buffer per call (src/executor/proc-text.ts): the same text as readFileSync,
// files larger than the first read whole, and a pass over every process's stat leaves kilobytes of
// ArrayBuffers behind, not the megabytes fs.readFile's buffers made (the soak's RSS creep, BENCHMARKS.md).
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readProcText, readProcTextSync } from '../../src/executor/proc-text.js';

const pids = (): string[] => readdirSync('/proc').filter((e) => /^\d+$/.test(e));

describe.skipIf(process.platform !== 'linux')('readProcText', () => {
  it('reads what readFileSync reads, small files and large ones (past the first buffer)', async () => {
    for (const file of ['/proc/self/stat', '/proc/self/status', '/proc/self/maps', '/proc/self/smaps']) {
      // Compared by their stable start (pid and name; the first line's first two words): these files change as the process runs.
      const start = (text: string): string => text.split('\n')[0]!.split(' ').slice(0, 2).join(' ');
      const head = start(readFileSync(file, 'utf8'));
      expect(start(await readProcText(file)), file).toBe(head);
      expect(start(readProcTextSync(file)), file).toBe(head);
    }
    expect((await readProcText('/proc/self/smaps')).length).toBeGreaterThan(8000);
    expect(readProcTextSync('/proc/self/smaps').length).toBeGreaterThan(8000);
    await expect(readProcText('/proc/999999999/stat')).rejects.toThrow();
  });

  it('leaves kilobytes of buffers behind per pass over /proc/*/stat, not 64 KiB a file', async () => {
    const all = pids();
    const before = process.memoryUsage().arrayBuffers;
    for (let pass = 0; pass < 5; pass++) {
      await Promise.all(all.map((p) => readProcText(`/proc/${p}/stat`).catch(() => '')));
      for (const p of all) {
        try {
          readProcTextSync(`/proc/${p}/stat`);
        } catch {
          /* gone */
        }
      }
    }
    const grown = process.memoryUsage().arrayBuffers - before;
    // 64 KiB per read would be 10 * 64 KiB * every process (more than 60 MB here); pooled slices are under 8 MB.
    expect(grown).toBeLessThan(Math.min(8 * 1024 * 1024, all.length * 10 * 65536 / 4));
  });
});

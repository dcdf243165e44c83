// The docker CLI's stats formulas (cli/command/container/stats_helpers.go), checked on documents shaped as the Engine sends them.
import { describe, expect, it } from 'vitest';
import { cpuPercentBetween, memoryWithoutCache } from '../../src/docker/container-stats.js';
import { compareVersions } from '../../src/docker/engine-client.js';

describe('container stats', () => {
  it('cpu: container delta over system delta, times online CPUs, in percent', () => {
    const before = { cpu_usage: { total_usage: 1_000_000_000 }, system_cpu_usage: 100_000_000_000, online_cpus: 4 };
    const now = { cpu_usage: { total_usage: 1_500_000_000 }, system_cpu_usage: 104_000_000_000, online_cpus: 4 };
    // 0.5 s of CPU over 4 s of all CPUs' time (1 s wall on 4 CPUs): 12.5 % of the machine, 50 % of one core.
    expect(cpuPercentBetween(before, now)).toBe(50);
  });

  it('cpu: the number of CPUs from percpu_usage when online_cpus is absent (older engines)', () => {
    const before = { cpu_usage: { total_usage: 0 }, system_cpu_usage: 1_000 };
    const now = { cpu_usage: { total_usage: 100, percpu_usage: [50, 50] }, system_cpu_usage: 2_000 };
    expect(cpuPercentBetween(before, now)).toBe(20);
  });

  it('cpu: 0 without a previous sample (one-shot precpu is empty) or when the clock did not move', () => {
    expect(cpuPercentBetween({}, { cpu_usage: { total_usage: 5 }, system_cpu_usage: 10, online_cpus: 1 })).toBe(0);
    expect(cpuPercentBetween(undefined, { cpu_usage: { total_usage: 5 }, system_cpu_usage: 10, online_cpus: 1 })).toBe(0);
    const s = { cpu_usage: { total_usage: 5 }, system_cpu_usage: 10, online_cpus: 1 };
    expect(cpuPercentBetween(s, s)).toBe(0);
  });

  it('memory without the page cache: cgroup v2 inactive_file, v1 total_inactive_file', () => {
    expect(memoryWithoutCache({ memory_stats: { usage: 10_000, stats: { inactive_file: 3_000 } } })).toBe(7_000);
    expect(memoryWithoutCache({ memory_stats: { usage: 10_000, stats: { total_inactive_file: 4_000, inactive_file: 1 } } })).toBe(6_000);
    expect(memoryWithoutCache({ memory_stats: { usage: 10_000, stats: { inactive_file: 20_000 } } })).toBe(10_000);
    expect(memoryWithoutCache({})).toBe(0);
  });

  it('API versions compare as numbers, not text', () => {
    expect(compareVersions('1.9', '1.41')).toBeLessThan(0);
    expect(compareVersions('1.43', '1.41')).toBeGreaterThan(0);
    expect(compareVersions('1.41', '1.41')).toBe(0);
  });
});

// What `docker stats` shows, from the Engine's stats documents (the CLI's formulas, written out here).
import type { ContainerStats, CpuStats } from './engine-client.js';

/**
 * CPU in percent of one core between two samples, as the docker CLI computes it: the container's CPU time
 * over the host's, times the number of CPUs. 0 when the samples say nothing (first sample, clock not moved).
 */
export function cpuPercentBetween(before: CpuStats | undefined, now: CpuStats | undefined): number {
  const cpuDelta = (now?.cpu_usage?.total_usage ?? 0) - (before?.cpu_usage?.total_usage ?? 0);
  const systemDelta = (now?.system_cpu_usage ?? 0) - (before?.system_cpu_usage ?? 0);
  const cpus = now?.online_cpus || now?.cpu_usage?.percpu_usage?.length || 1;
  if (!before?.system_cpu_usage || systemDelta <= 0 || cpuDelta < 0) return 0;
  return Math.round((cpuDelta / systemDelta) * cpus * 100 * 100) / 100;
}

/** Memory in use without the page cache, as the CLI shows it: cgroup v2's inactive_file, v1's total_inactive_file. */
export function memoryWithoutCache(stats: ContainerStats): number {
  const usage = stats.memory_stats?.usage ?? 0;
  const s = stats.memory_stats?.stats ?? {};
  const cache = s.total_inactive_file ?? s.inactive_file ?? 0;
  return cache < usage ? usage - cache : usage;
}

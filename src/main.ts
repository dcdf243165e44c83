#!/usr/bin/env -S MALLOC_ARENA_MAX=2 node --max-semi-space-size=4
// The young generation is capped at 4 MB a semi-space: at a gateway's message rates this keeps ~25 MB of RSS
// that V8's default (16 MB) would hold, at no cost in throughput (BENCHMARKS.md, trust tracker). glibc's malloc
// gets at most two arenas (its default is eight per core, one per thread that allocates: libuv's pool, LevelDB's
// compaction, V8's helpers): under the soak's load the capped agent sat 4-7 MB lower at the same CPU (BENCHMARKS.md,
// soak; the growth itself was /proc's 64 KiB buffers, src/executor/proc-text.ts).
// The `sma-bridge` bin: the command line runs as a function; this file only binds it to the process.
import { main } from './cli/cli.js';

process.exitCode = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin });

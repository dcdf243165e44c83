#!/usr/bin/env -S MALLOC_ARENA_MAX=2 node --max-semi-space-size=4
// The young generation is capped at 4 MB a semi-space: at a gateway's message rates this keeps ~25 MB of RSS
// that V8's default (16 MB) would hold, at no cost in throughput (BENCHMARKS.md, trust tracker). glibc's malloc
// gets at most two arenas: with its default (eight per core, one per thread that allocates: libuv's pool,
// LevelDB's compaction, V8's helpers) RSS grew ~12 MB an hour under the soak's load and stayed flat with two
// (BENCHMARKS.md, soak), at the same CPU.
// The `sma-bridge` bin: the command line runs as a function; this file only binds it to the process.
import { main } from './cli/cli.js';

process.exitCode = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin });

#!/usr/bin/env node
// The `sma-bridge` bin: the command line runs as a function; this file only binds it to the process.
import { main } from './cli/cli.js';

process.exitCode = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin });

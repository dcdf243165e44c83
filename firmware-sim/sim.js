#!/usr/bin/env node
// The firmware simulator: a fleet of devices sending heartbeats to an agent over MQTT, with scripted
// failures (devices going silent and coming back, a plugin dying and returning, bursts), a live progress
// line on stderr and a summary at the end (JSON with --json). `sma-bridge sim ...` runs the same.
//
//   node firmware-sim/sim.js --broker mqtt://127.0.0.1:1883 --topic-root sma/ID --devices N --rate R
//        [--plugin NAME] [--duration S] [--silent-fraction F --silent-after S --silent-for S] [--json]
//
// Exit status: 0 done, 1 the broker could not be reached, 2 bad usage.
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runFleet } from './fleet/fleet.js';
import { HELP, parseFleetArgs, UsageError, USAGE } from './fleet/options.js';

export { runFleet, parseFleetArgs, UsageError, USAGE };

const count = (n) => Math.round(n).toLocaleString('en-US');

function progressLine(p) {
  const plugin = p.pluginAlive === undefined ? '' : `  plugin ${p.pluginAlive ? 'up' : 'DOWN'}`;
  return `t=${p.t.toFixed(0)}s  ${count(p.rate)} beats/s  sent ${count(p.sent)}  devices ${count(p.devices)}  silent ${count(p.silent)}  NONE ${count(p.none)}  events ${count(p.events)}${plugin}`;
}

function humanSummary(s) {
  const lines = [
    `sent ${count(s.sent)} heartbeats in ${s.durationS} s: ${count(s.achievedRate)}/s (target ${count(s.targetRate)}/s, peak ${count(s.peakRate)}/s) over ${s.connections} connection(s)`,
    `devices ${count(s.devices)}, silent ${count(s.silentDevices)}; trust events ${count(s.events.total)} (NONE ${count(s.events.NONE)}, COMPLETE ${count(s.events.COMPLETE)}); NONE at end ${count(s.noneAtEnd)}`,
  ];
  if (s.plugin) lines.push(`plugin ${s.plugin}: reregister requests ${s.reregisterRequests}, device sets sent ${s.deviceSetsSent}`);
  if (s.lateness) lines.push(`timeout events after the deadline: p50 ${s.lateness.p50Ms} ms, p99 ${s.lateness.p99Ms} ms, max ${s.lateness.maxMs} ms (${count(s.lateness.count)} events)`);
  return lines.join('\n');
}

/** The CLI: returns the exit status. */
export async function main(argv, io = { stdout: process.stdout, stderr: process.stderr }) {
  let o;
  try {
    o = parseFleetArgs(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.stderr.write(`sma-bridge sim: ${err.message}\n${USAGE}\n(sma-bridge sim --help lists every option)\n`);
    return 2;
  }
  if (o.help) {
    io.stdout.write(`${HELP}\n`);
    return 0;
  }
  const abort = new AbortController();
  const stop = () => abort.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const tty = io.stderr.isTTY === true;
  let shown = 0;
  try {
    const summary = await runFleet(o, {
      signal: abort.signal,
      warn: (line) => io.stderr.write(`${tty ? '\r\x1b[K' : ''}sma-bridge sim: ${line}\n`),
      onProgress: (p) => {
        if (o.quiet) return;
        if (tty) io.stderr.write(`\r\x1b[K${progressLine(p)}`);
        else if (p.t - shown >= 5) io.stderr.write(`${progressLine(p)}\n`);
        if (!tty && p.t - shown >= 5) shown = p.t;
      },
    });
    if (tty && !o.quiet) io.stderr.write('\n');
    io.stdout.write(o.json ? `${JSON.stringify(summary)}\n` : `${humanSummary(summary)}\n`);
    return 0;
  } catch (err) {
    io.stderr.write(`${tty ? '\n' : ''}sma-bridge sim: ${err?.message ?? err}\n`);
    return 1;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

const invokedDirectly = process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) process.exitCode = await main(process.argv.slice(2));

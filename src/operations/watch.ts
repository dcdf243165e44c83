// services.logs, services.history and alerts.list (CONTRACT sections 15 and 16): reads of the watch's ports.
import { notFound, unavailable } from '../errors.js';
import type { OperationOutcome, Ports } from './ports.js';
import type { RequestOf } from './schemas.js';

/** Within the raw window the history's default bucket is 10 s, beyond it one minute (CONTRACT section 15). */
const RAW_STEP_MS = 10_000;
const MINUTE_STEP_MS = 60_000;
const HOUR_MS = 3_600_000;

async function registered(ports: Ports, name: string): Promise<void> {
  const record = await ports.registry.get(name);
  if (!record || record.halted) throw notFound(`no service named ${name}`);
}

export async function servicesLogs(ports: Ports, req: RequestOf<'services.logs'>): Promise<OperationOutcome> {
  const output = ports.watch?.output;
  if (!output) throw unavailable('this agent keeps no service output (executor other than process)');
  await registered(ports, req.name);
  const lines = output.lines(req.name, req.lines ?? Number.MAX_SAFE_INTEGER, req.sinceMs ?? 0);
  return { result: { name: req.name, lines: lines.map((l) => ({ at: new Date(l.t).toISOString(), stream: l.stream, text: l.text })) } };
}

export async function servicesHistory(ports: Ports, req: RequestOf<'services.history'>): Promise<OperationOutcome> {
  const history = ports.watch?.history;
  if (!history) throw unavailable('the resource watch is off');
  await registered(ports, req.name);
  const now = ports.clock.now();
  const sinceMs = req.sinceMs ?? now - HOUR_MS;
  const stepMs = req.stepMs ?? (sinceMs >= now - HOUR_MS ? RAW_STEP_MS : MINUTE_STEP_MS);
  const points = await history.points(req.name, req.metric, sinceMs, stepMs);
  return { result: { name: req.name, metric: req.metric, points } };
}

export async function alertsList(ports: Ports): Promise<OperationOutcome> {
  const alerts = ports.watch?.alerts;
  return { result: alerts ? alerts.list() : [] };
}

// The watch's events as MQTT bodies: `R/event/log/{name}` and `R/event/alert/{rule}/{name}` (CONTRACT 15, 16).
import type { AlertEvent, LogEvent } from '../events.js';

export function logEventBody(e: LogEvent): Record<string, unknown> {
  const lines = e.lines.map((l) => ({ at: new Date(l.t).toISOString(), stream: l.stream, text: l.text }));
  return { name: e.name, lines, ...(e.dropped ? { dropped: e.dropped } : {}), at: new Date(e.at).toISOString() };
}

export function alertEventBody(e: AlertEvent): Record<string, unknown> {
  const body: Record<string, unknown> = { type: e.type, rule: e.rule, name: e.name, metric: e.metric, value: e.value, threshold: e.threshold };
  if (e.action !== undefined) body.action = e.action;
  body.at = new Date(e.at).toISOString();
  return body;
}

// MQTT's rules for topic names and filters, and the contract's rule for a correlationId (one topic level).
/** MQTT caps a topic at 65 535 UTF-8 bytes; a reply topic of ours stays far below that. */
const MAX_TOPIC_BYTES = 65_535;
export const MAX_CORRELATION_ID = 256;

/** A name a PUBLISH may carry: non-empty, no wildcard, no NUL (a broker cuts a client that sends one). */
export function isTopicName(topic: string): boolean {
  return topic.length > 0 && !/[+#\u0000]/.test(topic) && Buffer.byteLength(topic, 'utf8') <= MAX_TOPIC_BYTES;
}

/** CONTRACT section 5: a non-empty string of at most 256 characters without `/`, `+`, `#` or NUL. */
export function isCorrelationId(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && [...value].length <= MAX_CORRELATION_ID && !/[/+#\u0000]/.test(value);
}

/** Whether `topic` matches the subscription `filter` (`+` one level, a trailing `#` the rest). */
export function matchesFilter(filter: string, topic: string): boolean {
  if (topic.startsWith('$') !== filter.startsWith('$')) return false;
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return i === f.length - 1;
    if (i >= t.length || (f[i] !== '+' && f[i] !== t[i])) return false;
  }
  return f.length === t.length;
}

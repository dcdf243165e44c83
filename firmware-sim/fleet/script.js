// The scripted failures of a fleet run, as pure functions of the time since the start (seconds):
// which devices are silent, whether the plugin is alive, and the heartbeat rate with bursts.

/** The first `silentCount` devices go silent at `silentAfterS` for `silentForS` (or for good). */
export function makeScript(o) {
  const silentCount = Math.floor(o.silentFraction * o.devices);
  const silentEnd = o.silentForS === undefined ? Infinity : o.silentAfterS + o.silentForS;
  const downStart = o.pluginDownAfterS ?? Infinity;
  const downEnd = o.pluginDownForS === undefined ? Infinity : downStart + o.pluginDownForS;
  return {
    silentCount,
    /** How many devices (a prefix of the fleet) are silent at time t. */
    silentAt: (t) => (silentCount > 0 && t >= o.silentAfterS && t < silentEnd ? silentCount : 0),
    pluginAliveAt: (t) => !(t >= downStart && t < downEnd),
    rateAt(t) {
      let rate = o.rate;
      for (const b of o.bursts) if (t >= b.atS && t < b.atS + b.forS) rate *= b.factor;
      return rate;
    },
  };
}

/** Percentiles of a list of numbers (sorted in place). */
export function summarize(values) {
  if (values.length === 0) return undefined;
  values.sort((a, b) => a - b);
  const at = (q) => values[Math.min(values.length - 1, Math.floor(q * values.length))];
  return { count: values.length, p50Ms: round(at(0.5)), p99Ms: round(at(0.99)), maxMs: round(values[values.length - 1]) };
}

const round = (n) => Math.round(n * 10) / 10;

// "Did you mean": the nearest known name to a mistyped configuration key or variable.

/** Edit distance (insert, delete, substitute, swap of neighbours), stopped early past `limit`. */
function distance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let before = Array.from({ length: b.length + 1 }, (_, j) => j);
  let previous = before;
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(previous[j]! + 1, row[j - 1]! + 1, previous[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, before[j - 2]! + 1);
      row.push(d);
    }
    before = previous;
    previous = row;
  }
  return previous[b.length]!;
}

/**
 * The candidate `word` most likely meant: equal but for case and underscores (intervalMS, SMA_DATA_DIR), else
 * within two edits (one for short names); undefined when nothing is that close.
 */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  const plain = (s: string): string => s.toLowerCase().replace(/_/g, '');
  const wanted = plain(word);
  let best: string | undefined;
  let bestDistance = wanted.length <= 4 ? 1 : 2;
  for (const candidate of candidates) {
    const d = distance(wanted, plain(candidate), bestDistance);
    if (d === 0) return candidate;
    if (d <= bestDistance && (best === undefined || d < bestDistance)) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

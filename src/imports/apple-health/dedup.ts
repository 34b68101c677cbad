/**
 * Daily totals of steps, distance and energy counted the way the Health app counts them (pure).
 *
 *   mergeBySource({ startMs, endMs, value, source }, n, rankOf) -> the counted part of each
 *                                                                 record's value, by index
 *
 * Sources go in priority order (lower `rankOf(source)` first, then the lower source number for a
 * stable order between two sources of the same rank). Where a higher-priority source's records
 * cover time, a lower-priority record counts only for the part of its interval not covered,
 * pro-rated by time: a phone record of 800 steps over 10 minutes, 6 of them covered by the watch,
 * counts 320. Records of one source are not merged with each other (a source does not double count
 * itself). A zero-length record counts in full unless its instant is covered.
 *
 * Columns rather than objects: an export holds millions of these records (bench/import).
 * NOTE: Apple does not publish its merge; this follows its documented priority (support.apple.com
 * HT204351) and reads it per interval (docs/apple-health.md "Counted as the Health app counts").
 */
export interface IntervalColumns {
  startMs: ArrayLike<number>;
  endMs: ArrayLike<number>;
  value: ArrayLike<number>;
  source: ArrayLike<number>;
}

export function mergeBySource(
  cols: IntervalColumns,
  n: number,
  rankOf: (source: number) => number,
): Float64Array {
  const counted = new Float64Array(n);
  const bySource = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const s = cols.source[i]!;
    let list = bySource.get(s);
    if (!list) {
      list = [];
      bySource.set(s, list);
    }
    list.push(i);
  }
  const order = [...bySource.keys()].sort((a, b) => rankOf(a) - rankOf(b) || a - b);
  // The union of higher-priority sources' intervals: sorted, disjoint, [starts[k], ends[k]).
  let starts: number[] = [];
  let ends: number[] = [];
  for (const source of order) {
    const idx = bySource.get(source)!;
    for (const i of idx) {
      const s = cols.startMs[i]!;
      const e = cols.endMs[i]!;
      const covered = coveredWithin(starts, ends, s, e);
      const length = e - s;
      counted[i] =
        length === 0 ? (covered > 0 ? 0 : cols.value[i]!) : (cols.value[i]! * (length - covered)) / length;
    }
    [starts, ends] = union(starts, ends, cols, idx);
  }
  return counted;
}

/** Milliseconds of [s, e) inside the union; for s === e, 1 when the instant is inside it. */
function coveredWithin(starts: number[], ends: number[], s: number, e: number): number {
  // First interval whose end is after s.
  let lo = 0;
  let hi = ends.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (ends[mid]! <= s) lo = mid + 1;
    else hi = mid;
  }
  if (s === e) return lo < starts.length && starts[lo]! <= s ? 1 : 0;
  let total = 0;
  for (let k = lo; k < starts.length && starts[k]! < e; k++) {
    total += Math.min(e, ends[k]!) - Math.max(s, starts[k]!);
  }
  return total;
}

function union(starts: number[], ends: number[], cols: IntervalColumns, idx: number[]): [number[], number[]] {
  const add = idx
    .filter((i) => cols.endMs[i]! > cols.startMs[i]!)
    .sort((a, b) => cols.startMs[a]! - cols.startMs[b]!);
  const outS: number[] = [];
  const outE: number[] = [];
  const push = (s: number, e: number) => {
    const last = outE.length - 1;
    if (last >= 0 && s <= outE[last]!) outE[last] = Math.max(outE[last]!, e);
    else {
      outS.push(s);
      outE.push(e);
    }
  };
  // Merge two sorted lists.
  let a = 0;
  let b = 0;
  while (a < starts.length || b < add.length) {
    const takeOld = b >= add.length || (a < starts.length && starts[a]! <= cols.startMs[add[b]!]!);
    if (takeOld) {
      push(starts[a]!, ends[a]!);
      a++;
    } else {
      const i = add[b]!;
      push(cols.startMs[i]!, cols.endMs[i]!);
      b++;
    }
  }
  return [outS, outE];
}

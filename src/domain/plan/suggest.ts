// "Did you mean …" for keys, enum values and regions. Pure.

function distance(a: string, b: string): number {
  // Optimal string alignment distance: a swapped pair of letters counts as one typo.
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const at = (i: number, j: number): number => d[i]?.[j] ?? Number.POSITIVE_INFINITY;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, at(i - 2, j - 2) + 1);
      const row = d[i];
      if (row) row[j] = best;
    }
  }
  return at(a.length, b.length);
}

const fold = (s: string): string => s.toLowerCase().replace(/[\s_-]/g, '');

/** The candidate closest to `input`, if it is close enough to be a plausible typo. */
export function closest(input: string, candidates: readonly string[]): string | undefined {
  const folded = fold(input);
  const exact = candidates.find((c) => fold(c) === folded);
  if (exact !== undefined) return exact;
  // A name typed short ("dedicated" for "dedicated-vmm") is a plausible slip too.
  const prefixed = folded.length >= 4 ? candidates.filter((c) => fold(c).startsWith(folded)) : [];
  if (prefixed.length === 1) return prefixed[0];
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const c of candidates) {
    const dist = distance(folded, fold(c));
    if (dist < bestDistance) {
      best = c;
      bestDistance = dist;
    }
  }
  const allowed = Math.max(1, Math.min(3, Math.floor(folded.length / 4)));
  return bestDistance <= allowed ? best : undefined;
}

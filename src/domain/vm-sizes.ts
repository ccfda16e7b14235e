import { distance } from 'fastest-levenshtein';

// Whether a VM size can host a protected VM, as Site Recovery's list of target sizes for the
// item says (the region's sizes, each with why it cannot host this VM). Pure.

export interface OfferedSize {
  name: string;
  /** Why the size cannot host this VM; empty when it can. */
  errors: string[];
}

/** Why `size` cannot host the VM, with sizes that can; undefined when it can (or nothing is listed). */
export function sizeProblem(size: string, offered: OfferedSize[]): string | undefined {
  if (offered.length === 0) return undefined;
  const usable = offered.filter((s) => s.errors.length === 0).map((s) => s.name);
  const found = offered.find((s) => s.name.toLowerCase() === size.toLowerCase());
  const others = nearest(size, usable, 3);
  const instead = others.length > 0 ? `; sizes that can, e.g. ${others.join(', ')}` : '';
  if (!found) return `size ${size} is not offered in the target region for this VM${instead}`;
  if (found.errors.length > 0) return `size ${size} cannot host this VM: ${found.errors.join('; ')}${instead}`;
  return undefined;
}

/** The `count` names closest to `name`: same family first (the letters before the digits), then by edit distance. */
function nearest(name: string, names: string[], count: number): string[] {
  const family = (n: string) =>
    n
      .toLowerCase()
      .replace(/^(standard_|basic_)/, '')
      .replace(/\d.*$/, '');
  const score = (n: string) => (family(n) === family(name) ? 0 : 100) + distance(n.toLowerCase(), name.toLowerCase());
  return [...names].sort((a, b) => score(a) - score(b) || a.localeCompare(b)).slice(0, count);
}

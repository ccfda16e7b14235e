// IPv4 CIDR arithmetic for the network rules. Pure.

export interface Cidr {
  /** Network address as an unsigned 32-bit number. */
  base: number;
  bits: number;
  /** Number of addresses. */
  size: number;
}

export function parseCidr(text: string): Cidr | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(text);
  if (!m) return undefined;
  const octets = [m[1], m[2], m[3], m[4]].map(Number);
  const bits = Number(m[5]);
  if (octets.some((o) => o > 255) || bits > 32) return undefined;
  const address = octets.reduce((acc, o) => acc * 256 + o, 0);
  const size = 2 ** (32 - bits);
  return { base: address - (address % size), bits, size };
}

/** True when the text names the network address itself (no host bits set), as Azure requires. */
export function isCanonical(text: string): boolean {
  const c = parseCidr(text);
  return c !== undefined && formatCidr(c) === text;
}

export function formatCidr(c: Cidr): string {
  const octets = [24, 16, 8, 0].map((shift) => Math.floor(c.base / 2 ** shift) % 256);
  return `${octets.join('.')}/${c.bits}`;
}

export function contains(outer: Cidr, inner: Cidr): boolean {
  return inner.base >= outer.base && inner.base + inner.size <= outer.base + outer.size;
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  return a.base < b.base + b.size && b.base < a.base + a.size;
}

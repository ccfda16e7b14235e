// IPv4 arithmetic for Azure subnets: addresses as unsigned 32-bit numbers, prefixes as the
// first address and the number of addresses, so membership and allocation are comparisons.

export interface Ipv4Prefix {
  first: number;
  size: number;
}

const DOTTED = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

export function parseIpv4(text: string): number | undefined {
  const m = DOTTED.exec(text.trim());
  if (!m) return undefined;
  const octets = m.slice(1, 5).map(Number);
  if (octets.some((o) => o > 255)) return undefined;
  return octets.reduce((n, o) => n * 256 + o, 0);
}

export function formatIpv4(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
}

export function parsePrefix(cidr: string): Ipv4Prefix | undefined {
  const [addr, bits] = cidr.split('/');
  const ip = parseIpv4(addr ?? '');
  const len = Number(bits);
  if (ip === undefined || !Number.isInteger(len) || len < 0 || len > 32) return undefined;
  const size = 2 ** (32 - len);
  return { first: ip - (ip % size), size };
}

export function inPrefix(ip: number, p: Ipv4Prefix): boolean {
  return ip >= p.first && ip < p.first + p.size;
}

/**
 * Azure keeps five addresses of every subnet for itself: the network address, the next three
 * (default gateway and the two DNS addresses) and the last (broadcast). A VM can never hold them.
 */
export function azureReserved(ip: number, p: Ipv4Prefix): boolean {
  return ip - p.first < 4 || ip === p.first + p.size - 1;
}

/** The lowest address of the subnet Azure could hand out that is not in `taken`, as its DHCP does. */
export function firstFree(p: Ipv4Prefix, taken: ReadonlySet<number>): number | undefined {
  for (let ip = p.first + 4; ip < p.first + p.size - 1; ip++) if (!taken.has(ip)) return ip;
  return undefined;
}

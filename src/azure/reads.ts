// How the gateway reads: a resource that does not exist is an answer, not a failure, and a paged
// list is read to its end. Written once here so every family treats "absent" the same way.

/**
 * Azure's "no such resource" (HTTP 404) read as absence — on a read, "not there"; on a delete,
 * "already gone" — whether it comes raw from the SDK or already classified (a checkpointed
 * operation classifies its failures); every other failure stays a failure.
 */
export async function orAbsent<T>(call: () => Promise<T>): Promise<T | undefined> {
  try {
    return await call();
  } catch (error) {
    if (statusOf(error) === 404) return undefined;
    throw error;
  }
}

function statusOf(error: unknown): number | undefined {
  const raw = (error as { statusCode?: number }).statusCode;
  if (raw !== undefined) return raw;
  const details = (error as { details?: unknown }).details;
  const first: unknown = Array.isArray(details) ? details[0] : undefined;
  return typeof first === 'object' && first !== null ? (first as { statusCode?: number }).statusCode : undefined;
}

/** Every item of a paged list. */
export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}

/** Names as Azure compares them: case-insensitive. */
export function sameName(a: string | undefined, b: string | undefined): boolean {
  return (a ?? '').toLowerCase() === (b ?? '').toLowerCase();
}

/** Regions as Azure writes them both ways ("West Europe", "westeurope"). */
export function sameRegion(a: string | undefined, b: string | undefined): boolean {
  return (a ?? '').replace(/\s/g, '').toLowerCase() === (b ?? '').replace(/\s/g, '').toLowerCase();
}

/** An ISO timestamp from the SDK's Date (or a string, as some models carry). */
export function iso(value: Date | string | undefined): string | undefined {
  if (value === undefined) return undefined;
  return value instanceof Date ? value.toISOString() : new Date(value).toISOString();
}

/** The last segment of an ARM id (a job's, a recovery point's name). */
export function lastSegment(id: string | undefined): string | undefined {
  return id?.split('/').filter(Boolean).pop();
}

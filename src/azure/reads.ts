// How the gateway reads: a resource that does not exist is an answer, not a failure, and a paged
// list is read to its end. Written once here so every family treats "absent" the same way.

/** Azure's "no such resource" (HTTP 404) read as absence; every other failure stays a failure. */
export async function orAbsent<T>(read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404) return undefined;
    throw error;
  }
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

// Objects without their absent fields. Pure.

/** `o` without the fields whose value is undefined: a record keeps the shape it has when they are absent. */
export function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, value]) => value !== undefined)) as T;
}

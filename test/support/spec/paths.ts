/**
 * Matching concrete request URLs against Swagger path templates the way ARM routes them:
 * literal segments compare case-insensitively (ARM ids are case-insensitive, and the specs
 * themselves mix `/subscriptions/` and `/Subscriptions/`), `{param}` takes one whole segment.
 */

export interface PathTemplate {
  template: string;
  /** Lower-cased literal, or undefined for a `{param}` segment. */
  segments: Array<string | undefined>;
  /** `x-ms-paths` keys may carry a fixed query (`/x?op=restart`) that tells operations apart. */
  query: Array<[string, string]>;
  literalCount: number;
}

export interface ConcreteUrl {
  segments: string[];
  query: URLSearchParams;
}

const trimSlashes = (p: string): string => p.replace(/^\/+|\/+$/g, '');

const decodeSegment = (segment: string): string => {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
};

export function parseTemplate(template: string): PathTemplate {
  const [pathPart = '', queryPart] = template.split('?', 2);
  const segments = trimSlashes(pathPart)
    .split('/')
    .map((s) => (/^\{[^}]+\}$/.test(s) ? undefined : s.toLowerCase()));
  const query = queryPart === undefined ? [] : [...new URLSearchParams(queryPart).entries()];
  return { template, segments, query, literalCount: segments.filter((s) => s !== undefined).length };
}

/** Accepts a path, a path with query string, or a full URL. */
export function parseUrl(url: string): ConcreteUrl {
  const parsed = new URL(url, 'https://management.azure.invalid');
  return {
    segments: trimSlashes(parsed.pathname)
      .split('/')
      .map((s) => decodeSegment(s).toLowerCase()),
    query: parsed.searchParams,
  };
}

export function matches(template: PathTemplate, url: ConcreteUrl): boolean {
  if (template.segments.length !== url.segments.length) return false;
  const segmentsMatch = template.segments.every((literal, i) => {
    const actual = url.segments[i] ?? '';
    return literal === undefined ? actual !== '' : literal === actual;
  });
  return segmentsMatch && template.query.every(([name, value]) => url.query.get(name) === value);
}

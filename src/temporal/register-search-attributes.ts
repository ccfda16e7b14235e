import { temporal } from '@temporalio/proto';
import { ALL_SEARCH_ATTRIBUTES } from './workflow/search-attributes';

const INDEXED_VALUE_TYPE: Record<string, temporal.api.enums.v1.IndexedValueType> = {
  TEXT: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_TEXT,
  KEYWORD: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  INT: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_INT,
  DOUBLE: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
  BOOL: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
  DATETIME: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
  KEYWORD_LIST: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
};

export interface SearchAttributeStatus {
  missing: string[];
  wrongType: string[];
}

/** What both the client's and the worker's connection offer. */
export interface OperatorConnection {
  operatorService: temporal.api.operatorservice.v1.OperatorService;
}

/** Compares the server's custom search attributes with the ones asrflow writes. */
export async function checkSearchAttributes(
  connection: OperatorConnection,
  namespace: string,
): Promise<SearchAttributeStatus> {
  const response = await connection.operatorService.listSearchAttributes({ namespace });
  const present = response.customAttributes ?? {};
  const missing: string[] = [];
  const wrongType: string[] = [];
  for (const key of ALL_SEARCH_ATTRIBUTES) {
    const type = present[key.name];
    if (type === undefined) missing.push(key.name);
    else if (type !== INDEXED_VALUE_TYPE[key.type]) wrongType.push(key.name);
  }
  return { missing, wrongType };
}

/**
 * Registers the missing search attributes through the operator service — what a server that
 * asrflow did not start (self-hosted, Docker Compose) needs once. Temporal Cloud refuses this
 * call; there they are added in the Cloud UI or with tcld.
 */
export async function registerSearchAttributes(connection: OperatorConnection, namespace: string): Promise<string[]> {
  const { missing, wrongType } = await checkSearchAttributes(connection, namespace);
  if (wrongType.length > 0) {
    throw new Error(
      `search attributes ${wrongType.join(', ')} exist on namespace '${namespace}' with another type; remove them or use another namespace`,
    );
  }
  if (missing.length === 0) return [];
  const searchAttributes: Record<string, temporal.api.enums.v1.IndexedValueType> = {};
  for (const key of ALL_SEARCH_ATTRIBUTES) {
    const indexed = INDEXED_VALUE_TYPE[key.type];
    if (missing.includes(key.name) && indexed !== undefined) searchAttributes[key.name] = indexed;
  }
  await connection.operatorService.addSearchAttributes({ namespace, searchAttributes });
  return missing;
}

export type EnsureOutcome = { ok: true; added: string[] } | { ok: false; problem: string };

/**
 * Makes sure the namespace has asrflow's search attributes, registering missing ones: what the
 * worker does at start and what a command does before it starts a workflow, so no server that
 * asrflow meets needs a manual step. Where the server refuses (Temporal Cloud, a locked-down
 * cluster) it says what to do instead of failing obscurely at the first workflow start.
 */
export async function ensureSearchAttributes(
  connection: OperatorConnection,
  namespace: string,
): Promise<EnsureOutcome> {
  try {
    return { ok: true, added: await registerSearchAttributes(connection, namespace) };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return {
      ok: false,
      problem:
        `cannot register asrflow's search attributes (${ALL_SEARCH_ATTRIBUTES.map((k) => k.name).join(', ')}, Keyword) on namespace '${namespace}': ${message}. ` +
        `Fix: have an admin run 'asrflow temporal register-search-attributes' (self-hosted) or add them in the Temporal Cloud UI / with tcld.`,
    };
  }
}

import type { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { ALL_SEARCH_ATTRIBUTES } from '../domain/search-attributes';

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

/** Compares the server's custom search attributes with the ones asrflow writes. */
export async function checkSearchAttributes(connection: Connection, namespace: string): Promise<SearchAttributeStatus> {
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
export async function registerSearchAttributes(connection: Connection, namespace: string): Promise<string[]> {
  const { missing, wrongType } = await checkSearchAttributes(connection, namespace);
  if (wrongType.length > 0) {
    throw new Error(`search attributes ${wrongType.join(', ')} exist on namespace '${namespace}' with another type; remove them or use another namespace`);
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

import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

// Custom search attributes let an operator filter the Temporal UI by tenant, VM or stage
// without opening each workflow. They must be registered on the server before use: the
// dev server gets them as start flags (devstack/), other servers through the operator service.
export const AsrTenant = defineSearchAttributeKey('AsrTenant', SearchAttributeType.KEYWORD);
export const AsrScenario = defineSearchAttributeKey('AsrScenario', SearchAttributeType.KEYWORD);
export const AsrStage = defineSearchAttributeKey('AsrStage', SearchAttributeType.KEYWORD);
export const AsrVm = defineSearchAttributeKey('AsrVm', SearchAttributeType.KEYWORD);
export const AsrKind = defineSearchAttributeKey('AsrKind', SearchAttributeType.KEYWORD);
/** A recovery plan's key, on its failover and drill workflows. */
export const AsrPlan = defineSearchAttributeKey('AsrPlan', SearchAttributeType.KEYWORD);

export const ALL_SEARCH_ATTRIBUTES = [AsrTenant, AsrScenario, AsrStage, AsrVm, AsrKind, AsrPlan] as const;

/** Name → Temporal's type name, as the CLI's `--search-attribute K=Type` flag spells it. */
export function searchAttributeFlags(): string[] {
  return ALL_SEARCH_ATTRIBUTES.map((key) => `${key.name}=${cliTypeName(key.type)}`);
}

function cliTypeName(type: SearchAttributeType): string {
  switch (type) {
    case SearchAttributeType.KEYWORD:
      return 'Keyword';
    case SearchAttributeType.TEXT:
      return 'Text';
    case SearchAttributeType.INT:
      return 'Int';
    case SearchAttributeType.DOUBLE:
      return 'Double';
    case SearchAttributeType.BOOL:
      return 'Bool';
    case SearchAttributeType.DATETIME:
      return 'Datetime';
    case SearchAttributeType.KEYWORD_LIST:
      return 'KeywordList';
  }
}

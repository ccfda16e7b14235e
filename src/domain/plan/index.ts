// The plan's pure parts, safe to import from workflows. Parsing (parse.ts: yaml, ajv) and loading
// (load.ts: files, environment) are imported directly by the client and the worker.
export * from './types';
export { normalizePlan, mergePolicy, derivedVaultName, countVms } from './normalize';
export { checkPlanRules } from './rules';
export { PLAN_VERSION, SCENARIOS, REPLICATION_INTERVALS, GEO_REDUNDANT_SKUS, AZURE_REGIONS } from './constants';

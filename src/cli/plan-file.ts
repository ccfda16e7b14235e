import path from 'node:path';
import { loadPlan, PlanError } from '../domain/plan/load';
import { formatPlanErrors } from '../domain/plan/parse';
import type { Plan } from '../domain/plan/types';
import { EXIT, ExitCode } from './exit-codes';

/**
 * The plan a workflow command works from (`--plan FILE`, else ASRFLOW_PLAN): a bad one is printed
 * with its errors and exits 2 before anything starts.
 */
export function readPlan(file: string | undefined): Plan {
  const planFile = file ?? process.env.ASRFLOW_PLAN;
  if (!planFile) {
    console.error(
      "asrflow: no plan: pass --plan FILE or set ASRFLOW_PLAN (the plan names the tenant's vault and credential reference)",
    );
    throw new ExitCode(EXIT.badInput);
  }
  try {
    // The CLI never uses the credentials (the worker does): only their shape is checked here.
    return loadPlan(path.resolve(planFile), { checkCredentials: false }).plan;
  } catch (error) {
    if (error instanceof PlanError) {
      console.error(formatPlanErrors([...error.errors, ...error.warnings]));
      console.error(`asrflow: ${planFile}: ${error.errors.length} error(s); nothing was started.`);
      throw new ExitCode(EXIT.badInput);
    }
    throw error;
  }
}

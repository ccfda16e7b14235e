// Rules for a tenant's recovery plans: names, targets, groups (at most seven), and VMs that the
// tenant's selection protects, each at most once per plan. Whether a VM of `include: all` exists
// is known only at onboarding, once the cloud is listed. Pure.

import { matches, RECOVERY_PLAN_LIMITS } from './constants';
import { type Findings, q } from './findings';
import type { Loose, PathSegment, RecoveryPlanDocument, TenantDocument } from './types';

type LooseTenant = Loose<TenantDocument>;

const checkPlanKey = (name: string) =>
  matches('recoveryPlan', name)
    ? undefined
    : {
        message: `recovery plan name must be 1–40 lowercase letters, digits and hyphens, starting with a letter: got ${q(name)}`,
        fix: `use e.g. ${q(
          name
            .toLowerCase()
            .replace(/[^a-z0-9-]+/g, '-')
            .replace(/^[^a-z]+|-+$/g, '')
            .slice(0, 40) || 'app',
        )}`,
      };

const checkDuration = (what: string) => (text: string) =>
  matches('duration', text)
    ? undefined
    : {
        message: `${what} must be a whole number of seconds, minutes or hours: got ${q(text)}`,
        fix: `write e.g. ${what === 'rto' ? '30m' : '15m'} or 2h`,
      };

/** Seconds of a validated duration (`90s`, `30m`, `2h`). */
export function durationSeconds(text: string): number {
  const unit = text.slice(-1);
  return Number(text.slice(0, -1)) * (unit === 'h' ? 3600 : unit === 'm' ? 60 : 1);
}

export function checkRecoveryPlans(f: Findings, path: PathSegment[], t: LooseTenant): void {
  const plans = t.recoveryPlans;
  if (!plans) return;
  const include = t.vms?.include;
  const listed = Array.isArray(include)
    ? new Set(
        include.flatMap((v) => {
          const name = typeof v === 'string' ? v : v?.name;
          return name !== undefined ? [name.toLowerCase()] : [];
        }),
      )
    : undefined;
  const excluded = new Set((t.vms?.exclude ?? []).flatMap((n) => (n !== undefined ? [n.toLowerCase()] : [])));
  const names = new Map<string, number>();
  plans.forEach((plan, i) => {
    if (!plan) return;
    const at = [...path, 'recoveryPlans', i];
    f.check([...at, 'name'], plan.name, checkPlanKey);
    if (plan.name !== undefined) {
      const first = names.get(plan.name.toLowerCase());
      if (first !== undefined)
        f.add([...at, 'name'], {
          message: `recovery plan ${q(plan.name)} is also recoveryPlans[${first}]`,
          fix: 'give each recovery plan of the tenant its own name',
        });
      else names.set(plan.name.toLowerCase(), i);
    }
    f.check([...at, 'rto'], plan.rto, checkDuration('rto'));
    f.check([...at, 'rpo'], plan.rpo, checkDuration('rpo'));
    checkGroups(f, at, plan, (vm) => {
      if (listed && !listed.has(vm.toLowerCase()))
        return {
          message: `VM ${q(vm)} is not in the tenant's vms.include: a recovery plan holds protected VMs only`,
          fix: `add ${q(vm)} to vms.include, or remove it from the group`,
        };
      if (!listed && excluded.has(vm.toLowerCase()))
        return {
          message: `VM ${q(vm)} is in vms.exclude: it is not protected`,
          fix: `remove ${q(vm)} from vms.exclude, or from the group`,
        };
      return undefined;
    });
  });
}

function checkGroups(
  f: Findings,
  at: PathSegment[],
  plan: Loose<RecoveryPlanDocument>,
  notProtected: (vm: string) => { message: string; fix: string } | undefined,
): void {
  const groups = plan.groups ?? [];
  if (groups.length > RECOVERY_PLAN_LIMITS.groups)
    f.add([...at, 'groups'], {
      message: `${groups.length} groups: a Site Recovery recovery plan has at most ${RECOVERY_PLAN_LIMITS.groups}`,
      fix: `merge groups until there are at most ${RECOVERY_PLAN_LIMITS.groups}, or split the VMs over two plans`,
    });
  const seen = new Map<string, number>();
  let count = 0;
  groups.forEach((group, g) => {
    (group?.vms ?? []).forEach((vm, v) => {
      if (vm === undefined) return;
      count++;
      const where = [...at, 'groups', g, 'vms', v];
      const first = seen.get(vm.toLowerCase());
      if (first !== undefined) {
        f.add(where, {
          message: `VM ${q(vm)} is already in group ${first + 1} of this plan: a VM fails over once per plan`,
          fix: 'keep it in one group',
        });
        return;
      }
      seen.set(vm.toLowerCase(), g);
      const problem = notProtected(vm);
      if (problem) f.add(where, problem);
    });
  });
  if (count > RECOVERY_PLAN_LIMITS.vms)
    f.add([...at, 'groups'], {
      message: `${count} VMs: a Site Recovery recovery plan holds at most ${RECOVERY_PLAN_LIMITS.vms}`,
      fix: 'split the VMs over two recovery plans',
    });
}

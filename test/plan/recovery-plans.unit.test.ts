// Recovery plans in the plan file: ordered groups of a tenant's protected VMs with manual
// actions and targets, validated like the rest (file:line, field, fix) and normalized.
import { describe, expect, it } from 'vitest';
import { MULTI, edit, lineOf, onlyError, read, validate } from './helpers';

const multi = read(MULTI);

const withPlans = (plans: string) =>
  edit(multi, [
    '    policy:\n      appConsistentFrequencyHours: 1',
    `${plans}\n    policy:\n      appConsistentFrequencyHours: 1`,
  ]);

const CRM = `    recoveryPlans:
      - name: crm
        rto: 30m
        rpo: 15m
        groups:
          - vms: [sql01]
          - before: Check that SQL Server accepts connections
            vms: [web01, web02]
            after: Switch DNS to the failed-over web servers`;

describe('recovery plans', () => {
  it('normalizes groups, manual actions and targets in seconds', () => {
    const { plan, errors } = validate(withPlans(CRM));
    expect(errors).toEqual([]);
    expect(plan?.tenants[0]?.recoveryPlans).toEqual([
      {
        name: 'crm',
        rtoSeconds: 1800,
        rpoSeconds: 900,
        groups: [
          { vms: ['sql01'] },
          {
            vms: ['web01', 'web02'],
            before: 'Check that SQL Server accepts connections',
            after: 'Switch DNS to the failed-over web servers',
          },
        ],
      },
    ]);
    expect(validate(multi).plan?.tenants[0]?.recoveryPlans).toBeUndefined();
  });

  it('refuses a VM the tenant does not protect, at its line', () => {
    const text = withPlans(edit(CRM, ['vms: [sql01]', 'vms: [sql01, legacy01]']));
    const error = onlyError(validate(text));
    expect([error.field, error.message, error.fix]).toEqual([
      'tenants[0].recoveryPlans[0].groups[0].vms[1]',
      "VM 'legacy01' is not in the tenant's vms.include: a recovery plan holds protected VMs only",
      "add 'legacy01' to vms.include, or remove it from the group",
    ]);
    expect(error.line).toBe(lineOf(text, 'vms: [sql01, legacy01]'));
  });

  it('refuses a VM twice in one plan, a name used twice, and a bad name or target', () => {
    const twice = onlyError(validate(withPlans(edit(CRM, ['vms: [web01, web02]', 'vms: [web01, sql01]']))));
    expect([twice.field, twice.message]).toEqual([
      'tenants[0].recoveryPlans[0].groups[1].vms[1]',
      "VM 'sql01' is already in group 1 of this plan: a VM fails over once per plan",
    ]);
    const again = `${CRM}\n      - name: crm\n        groups: [{ vms: [web01] }]`;
    expect(onlyError(validate(withPlans(again))).message).toBe("recovery plan 'crm' is also recoveryPlans[0]");
    const { errors } = validate(
      withPlans(edit(CRM, ['name: crm', 'name: CRM App'], ['rto: 30m', 'rto: half an hour'])),
    );
    expect(errors.map((e) => [e.field, e.fix])).toEqual([
      ['tenants[0].recoveryPlans[0].name', "use e.g. 'crm-app'"],
      ['tenants[0].recoveryPlans[0].rto', 'write e.g. 30m or 2h'],
    ]);
  });

  it('refuses more than seven groups', () => {
    const groups = Array.from({ length: 8 }, (_, i) => `          - vms: [${['web01', 'web02', 'sql01'][i % 3]}]`);
    const eight = `    recoveryPlans:\n      - name: big\n        groups:\n${groups.join('\n')}`;
    const { errors } = validate(withPlans(eight));
    expect(errors[0]).toMatchObject({
      field: 'tenants[0].recoveryPlans[0].groups',
      message: '8 groups: a Site Recovery recovery plan has at most 7',
    });
  });
});

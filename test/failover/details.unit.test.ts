import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { failoverDetails, failoverInputFromPlan } from '../../src/failover/start';
import { loadPlan } from '../../src/domain/plan/load';
import { repoRoot } from '../support/cli';

// The "Details" a failover workflow shows in the Temporal UI are read by a person: Markdown
// lines, not the options as JSON (whose quotes the UI turned curly).
describe('failover details in the Temporal UI', () => {
  it('lists what was asked in words, with the tenant scope, and no JSON', () => {
    const { plan } = loadPlan(path.join(repoRoot, 'examples', 'multitenant-vmm.yaml'), { checkCredentials: false });
    const input = failoverInputFromPlan(plan, 'contoso', 'web01', 'test', { cleanupAfter: '2h', confirmed: true });
    const details = failoverDetails(input);
    expect(details.split('\n')).toEqual([
      '- **Tenant** contoso: cloud Contoso-Cloud on vmm01.fabrikam.local, subscription c1000000-0000-4000-8000-000000000001',
      '- **Vault** fabrikam-asr-westeurope in fabrikam-asr-rg',
      '- **Test network** /subscriptions/c1000000-0000-4000-8000-000000000001/resourceGroups/contoso-dr-rg/providers/Microsoft.Network/virtualNetworks/contoso-dr-test-vnet',
      '- **Cleanup** by itself after 2h',
      '- **Confirmed** by the operator (--yes)',
    ]);
    expect(details).not.toMatch(/[{}"]/);
  });
});

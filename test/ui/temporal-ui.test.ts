import { copyFileSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type { Browser, FrameLocator } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startOnboarding } from '../../src/onboarding/start';
import { loadPlan } from '../../src/domain/plan/load';
import type { MultitenantVmmPlan } from '../../src/domain/plan/types';
import { plainText } from '../../src/domain/operator-commands';
import { progressQuery, type Progress } from '../../src/temporal/workflow/progress';
import { workflowIds } from '../../src/temporal/workflow/workflow-ids';
import { EmulatorAdminClient } from '@asrflow/azure-emulator';
import { launchChromium } from '../support/browser';
import { eventually, repoRoot } from '../support/cli';
import { startTestStack, type TestStack } from '../support/stack';

/** What the "Current Details" card shows, in the shape the progress query can be compared with. */
interface ShownDetails {
  steps: Array<{ title: string; state: string | undefined }>;
  vms: string[][];
  operatorAction: string | undefined;
}

// The tour the README promises an operator: filter the Temporal UI by tenant, open the tenant's
// onboarding and read its current step in the workflow's current details. Also takes the
// README's screenshot (`npm run screenshot` writes it to ASRFLOW_SCREENSHOT).
describe('the Temporal UI tour', () => {
  let stack: TestStack;
  let admin: EmulatorAdminClient;
  let browser: Browser;
  const file = path.join(repoRoot, 'examples', 'multitenant-vmm.yaml');

  beforeAll(async () => {
    // First, so a missing Chromium fails before a stack is started for nothing.
    browser = await launchChromium();
    stack = await startTestStack();
    admin = EmulatorAdminClient.fromDataDir(stack.emulator.dataDir);
  });
  afterAll(async () => {
    await browser?.close();
    admin?.close();
    await stack?.stop();
  });

  it(
    'lists exactly one tenant’s workflows by AsrTenant and shows the current step in the onboarding’s current details',
    { timeout: 300_000 },
    async ({ onTestFailed }) => {
      const uiUrl = inject('temporalUiUrl').replace(/\/$/, '');
      expect(uiUrl, 'the global setup starts the dev server with its Web UI').not.toBe('');
      const namespace = stack.env.TEMPORAL_NAMESPACE as string;
      const plan = loadPlan(file, { env: stack.env }).plan as MultitenantVmmPlan;
      await startOnboarding(stack.client, plan, stack.taskQueue);

      const vault = stack.client.workflow.getHandle(
        workflowIds.sharedVault(plan.provider.subscriptionId, plan.provider.vault),
      );
      const credentials = await eventually(
        async () =>
          /vault credentials file (\S+\.VaultCredentials)/.exec(
            (await vault.query(progressQuery)).operatorAction ?? '',
          )?.[1],
        'the shared vault to ask for the Provider installation',
      );
      // Slow enough that the initial replication (web01: 120 simulated seconds, sql01: 280, so 6
      // and 14 s here) can be caught under way, fast enough that the jobs before it take seconds.
      await admin.setTime({ speed: 20 });
      expect((await admin.installProvider(readFileSync(credentials, 'utf8'), plan.provider.vmmServer)).status).toBe(
        200,
      );

      const contoso = stack.client.workflow.getHandle(workflowIds.tenantOnboarding('contoso'));
      // Once replication has begun, slower still: the moment wanted below (every VM at 30 % or
      // more, one still replicating) then lasts about twenty seconds instead of ten, so a
      // loaded machine is far less likely to miss it.
      await eventually(
        async () =>
          (await contoso.query(progressQuery)).vms?.some((v) => v.state === 'replicating') ? true : undefined,
        'contoso’s first VM to replicate',
        120_000,
        100,
        () => contoso.query(progressQuery),
      );
      await admin.setTime({ speed: 10 });
      const replicating = await eventually(
        async () => {
          const p = await contoso.query(progressQuery);
          const vms = p.vms ?? [];
          const midway =
            vms.length === 3 &&
            vms.every((v) => v.state === 'protected' || (v.replicationPercent ?? 0) >= 30) &&
            vms.some((v) => v.state !== 'protected');
          return p.stage === 'protect' && midway ? p : undefined;
        },
        'contoso’s VMs to be replicating',
        120_000,
        250,
        () => contoso.query(progressQuery),
      );
      // Stopping the emulator's clock holds the onboarding in this state while the browser looks,
      // so what the UI shows and what the query says can be compared without a race.
      await admin.setTime({ speed: 1e-6 });
      expect((replicating.vms ?? []).map((v) => v.name).sort()).toEqual(['sql01', 'web01', 'web02']);

      const contosoWorkflows = [
        contoso.workflowId,
        ...(replicating.vms ?? []).map((v) => workflowIds.vmProtection('contoso', v.name)),
      ].sort();
      // The list page reads visibility, which trails the workflows a little; the UI test is about
      // the UI, so it starts once visibility has them all (and the other tenant's too).
      await eventually(
        async () =>
          (await stack.client.workflow.count('AsrTenant = "contoso"')).count === contosoWorkflows.length
            ? true
            : undefined,
        'contoso’s workflows in visibility',
      );
      await eventually(
        async () => ((await stack.client.workflow.count('AsrTenant = "northwind"')).count > 0 ? true : undefined),
        'northwind’s workflows in visibility',
      );

      const tab = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      tab.setDefaultTimeout(60_000);
      tab.setDefaultNavigationTimeout(60_000);
      onTestFailed(async () => {
        const shot = path.join(tmpdir(), `asrflow-ui-failure-${Date.now()}.png`);
        await tab.screenshot({ path: shot }).then(
          () => console.error(`the page at the failure (${tab.url()}): ${shot}`),
          () => undefined,
        );
      });

      // As an operator would: the namespace's workflow list, the raw query box, the tenant's filter.
      await tab.goto(`${uiUrl}/namespaces/${encodeURIComponent(namespace)}/workflows`);
      await tab.getByTestId('toggle-manual-query').click();
      const query = tab.getByTestId('workflow-manual-search-input');
      await query.fill('AsrTenant = "contoso"');
      await query.press('Enter');
      await tab.waitForURL(/[?&]query=AsrTenant/);
      const listed = tab
        .getByTestId('workflows-summary-configurable-table-row')
        .getByRole('link', { name: /^asrflow:/ });
      await expect
        .poll(async () => (await listed.allInnerTexts()).map((t) => t.trim()).sort(), { timeout: 60_000 })
        .toEqual(contosoWorkflows);
      expect((await listed.allInnerTexts()).filter((t) => t.includes('northwind'))).toEqual([]);

      await tab.getByRole('link', { name: contoso.workflowId, exact: true }).click();
      await tab.waitForURL(new RegExp(`/workflows/${encodeURIComponent(contoso.workflowId)}/`));
      await tab.getByRole('tab', { name: 'User Metadata' }).click();
      // The UI renders the Markdown of the current details in a sandboxed frame of its own.
      const details = tab.frameLocator('#user-metadata-current-details');
      await details.getByRole('heading', { name: 'Onboarding contoso' }).waitFor();

      // The card is fetched once per page view ("Press the R for freshness"; its Refresh button
      // only shows on narrow screens): refresh until it has caught up with the last details the
      // workflow published before the clock stopped.
      await expect
        .poll(
          async () => {
            const fromQuery = expectedDetails(await contoso.query(progressQuery));
            const shown = await shownDetails(details);
            if (!isDeepStrictEqual(shown, fromQuery)) await tab.keyboard.press('r');
            return { shown, fromQuery };
          },
          {
            timeout: 60_000,
            interval: 1_000,
            message: 'the Current Details card (shown) to match the progress query (fromQuery)',
          },
        )
        .toSatisfy(({ shown, fromQuery }) => isDeepStrictEqual(shown, fromQuery));

      const now = await contoso.query(progressQuery);
      expect(now.stage).toBe('protect');
      const current = now.steps.find((s) => s.name === now.stage.replace(/:waiting-for-operator$/, ''));
      expect(current, `the stage ${now.stage} names a step`).toBeDefined();
      const shown = await shownDetails(details);
      expect(shown.steps.filter((s) => s.state === 'running' || s.state === 'waiting-for-operator')).toEqual([
        { title: current?.title, state: current?.state },
      ]);
      expect(shown.vms.filter((row) => row[1] === 'replicating').every((row) => /^\d+ %$/.test(row[2] ?? ''))).toBe(
        true,
      );

      await details.getByRole('heading', { name: 'Onboarding contoso' }).scrollIntoViewIfNeeded();
      const screenshot = path.join(stack.dir, 'temporal-ui-onboarding.png');
      // The page without the UI's navigation: the workflow, its tabs and the details card.
      await tab.locator('main').screenshot({ path: screenshot });
      const png = readFileSync(screenshot);
      expect(png.length).toBeGreaterThan(0);
      expect(png.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe(true);
      const wanted = process.env.ASRFLOW_SCREENSHOT;
      if (wanted) {
        const target = path.resolve(wanted);
        mkdirSync(path.dirname(target), { recursive: true });
        copyFileSync(screenshot, target);
        expect(statSync(target).size).toBe(png.length);
      }
    },
  );
});

function expectedDetails(p: Progress): ShownDetails {
  return {
    steps: p.steps.map((s) => ({ title: s.title, state: s.state })),
    vms: (p.vms ?? []).map((v) => [
      v.name,
      v.state,
      v.replicationPercent !== undefined ? `${v.replicationPercent.toFixed(0)} %` : '',
      v.reason ?? '',
    ]),
    // The card renders the hint's Markdown: its commands show as code, without the backticks.
    operatorAction: p.operatorAction === undefined ? undefined : plainText(p.operatorAction),
  };
}

async function shownDetails(frame: FrameLocator): Promise<ShownDetails> {
  const steps: ShownDetails['steps'] = [];
  // Top-level items only: a step's operator hint is a nested item of its own.
  for (const item of await frame.locator('li:not(li li)').all()) {
    const title = (await item.locator('strong').first().innerText()).trim();
    steps.push({ title, state: /— ([a-z-]+)/.exec(await item.innerText())?.[1] });
  }
  // The VMs are a fixed-width block: VM, state, bar with percent, note — columns two spaces apart.
  const vms: string[][] = [];
  const block = frame.locator('pre');
  const lines = (await block.count()) > 0 ? (await block.first().innerText()).split('\n').filter((l) => l.trim()) : [];
  for (const line of lines.slice(1)) {
    const [name = '', state = '', ...rest] = line.trim().split(/\s{2,}/);
    const percent = rest.map((c) => /(\d+ %)$/.exec(c)?.[1]).find(Boolean) ?? '';
    const note = rest.filter((c) => !/\d+ %$/.test(c)).join('  ');
    vms.push([name, state, percent, note]);
  }
  const operator = frame.locator('p', { hasText: 'Next for the operator:' });
  const operatorAction =
    (await operator.count()) > 0
      ? (await operator.innerText()).replace(/^Next for the operator:\s*/, '').trim()
      : undefined;
  return { steps, vms, operatorAction };
}

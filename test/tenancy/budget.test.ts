import { TerraformStack } from 'cdktf';
import { Gpu, GpuNodePool } from '../../lib';
import { alertRuleManifest } from '../../lib/observability/alerts';
import { GpuSharing } from '../../lib/tenancy/kueue';
import { GpuQuota } from '../../lib/tenancy/quota';
import { Tenant } from '../../lib/tenancy/tenant';
import { awsStack } from '../helpers';
import { eksCluster } from './fixtures';
import { budgetAlertRule, budgetProblems } from '../../lib/tenancy/budget';

describe('tenant GPU budgets', () => {
  test('the alert compares the month projected from 7 days with the threshold of the budget', () => {
    const rule = budgetAlertRule('search', { monthlyUsd: 20000 });
    expect(rule.expr).toBe('avg_over_time(namespace:ai_platform_gpu_cost_usd_per_hour:sum{namespace="search"}[7d]) * 730 > 16000');
    expect(rule).toMatchObject({ alert: 'TenantGpuBudget', severity: 'warning', pendingFor: '1h' });
    expect(budgetAlertRule('search', { monthlyUsd: 1000, alertAtPercent: 100 }).expr).toMatch(/> 1000$/);
  });

  test('the alert says it is a run-rate projection and names the tenant and the budget', () => {
    const rule = budgetAlertRule('team-search', { monthlyUsd: 20000 }, 'search');
    expect(rule.labels).toEqual({ tenant: 'search', budget_usd: '20000' });
    expect(rule.summary).toMatch(/^Tenant search: at the last 7 days' rate, \{\{ \$value \| humanize \}\} USD\/month/);
    expect(rule.description).toMatch(/Run-rate projection, not month-to-date spend/);
    expect(alertRuleManifest(rule)).toMatchObject({
      labels: { severity: 'warning', tenant: 'search', budget_usd: '20000' },
      annotations: { summary: rule.summary, description: rule.description },
    });
  });

  test('problems name the prop, the value and the fix', () => {
    expect(budgetProblems(undefined)).toEqual([]);
    expect(budgetProblems({ monthlyUsd: 0, alertAtPercent: 0 })).toEqual([
      "gpuBudget.monthlyUsd 0 is not a positive amount; pass the month's accelerator budget in USD, e.g. 20000",
      'gpuBudget.alertAtPercent 0 is outside (0, 1000]; pass e.g. 80 to be warned at 80 % of the budget',
    ]);
  });
});

describe('budgets on pools without a price', () => {
  const warnings = (stack: TerraformStack): string[] =>
    stack.node
      .findAll()
      .flatMap((c) => c.node.metadata)
      .filter((m) => m.type === '@cdktf/warn')
      .map((m) => String(m.data));

  test('a tenant with a budget and quota on an unpriced pool is warned at synth; priced pools and no budget are not', () => {
    const stack = awsStack();
    const cluster = eksCluster(stack, [
      GpuNodePool.training('h200', { gpu: Gpu.H200_141GB, instanceTypes: ['p5e.48xlarge'], maxNodes: 1 }),
      GpuNodePool.inference('l4', { gpu: Gpu.L4, maxNodes: 2 }),
    ]);
    const sharing = new GpuSharing(stack, 'Sharing', { cluster });
    const quota = [GpuQuota.of(Gpu.H200_141GB, { gpus: 8 }), GpuQuota.of(Gpu.L4, { gpus: 1 })];
    new Tenant(stack, 'Budgeted', { cluster, sharing, name: 'budgeted', quota, gpuBudget: { monthlyUsd: 10000 } });
    new Tenant(stack, 'Free', { cluster, sharing, name: 'free', quota });
    new Tenant(stack, 'Priced', {
      cluster,
      sharing,
      name: 'priced',
      quota: [GpuQuota.of(Gpu.L4, { gpus: 1 })],
      gpuBudget: { monthlyUsd: 100 },
    });
    expect(warnings(stack)).toEqual([
      "gpuBudget counts pool 'h200' as free: p5e.48xlarge has no price in the library's catalog and the pool sets none, so this " +
        "tenant's use of it adds 0 to its cost and budget alert; give the pool pricing: PoolPricing.negotiated(...)",
    ]);
  });
});

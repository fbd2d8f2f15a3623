import { Token } from 'cdktf';
import { CostMetrics } from '../cost/cost-metrics';
import { HOURS_PER_MONTH } from '../cost/price-catalog';
import type { AlertRule } from '../observability/alerts';

/** A tenant's monthly budget for accelerators. */
export interface GpuBudget {
  /** Budget for one month of accelerator allocation, USD (priced like the platform report). */
  readonly monthlyUsd: number;
  /**
   * Percent of the budget at which the alert fires, for the month projected from the last 7 days.
   * @default 80
   */
  readonly alertAtPercent?: number;
}

/** Problems of a budget, as `gpuBudget.<prop> <value> <problem>; <fix>`. */
export function budgetProblems(b: GpuBudget | undefined): string[] {
  if (!b) return [];
  const out: string[] = [];
  if (!Token.isUnresolved(b.monthlyUsd) && !(b.monthlyUsd > 0 && Number.isFinite(b.monthlyUsd)))
    out.push(`gpuBudget.monthlyUsd ${b.monthlyUsd} is not a positive amount; pass the month's accelerator budget in USD, e.g. 20000`);
  const pct = b.alertAtPercent ?? 80;
  if (!Token.isUnresolved(pct) && !(pct > 0 && pct <= 1000))
    out.push(`gpuBudget.alertAtPercent ${pct} is outside (0, 1000]; pass e.g. 80 to be warned at 80 % of the budget`);
  return out;
}

/**
 * The budget alert of a tenant's namespace, a run-rate projection: the allocated accelerator cost averaged
 * over the last 7 days, × 730 hours, above the threshold. Seven days fit the default 15-day retention and
 * smooth out a weekend; the namespace's cost series is 0, not absent, while it holds no accelerator, so the
 * average is over the whole week. In a namespace's first week the average covers only the days since its
 * cost series began (absent before), so a busy first day projects as a busy month.
 * @param tenant the tenant's name, for the `tenant` label
 */
export function budgetAlertRule(namespace: string, b: GpuBudget, tenant: string = namespace): AlertRule {
  const pct = b.alertAtPercent ?? 80;
  const limit = (b.monthlyUsd * pct) / 100;
  return {
    alert: 'TenantGpuBudget',
    expr: `avg_over_time(${CostMetrics.NAMESPACE_COST}{namespace="${namespace}"}[7d]) * ${HOURS_PER_MONTH} > ${limit}`,
    pendingFor: '1h',
    severity: 'warning',
    labels: { tenant, budget_usd: String(b.monthlyUsd) },
    summary: `Tenant ${tenant}: at the last 7 days' rate, {{ $value | humanize }} USD/month on accelerators, above ${pct} % of its ${b.monthlyUsd} USD budget`,
    description:
      `Run-rate projection, not month-to-date spend: the hourly accelerator cost allocated to namespace ${namespace}, ` +
      `averaged over the last 7 days (idle hours count 0), × ${HOURS_PER_MONTH} hours, at the library's list or pool prices. ` +
      'In the first week it averages only the days since the namespace began to be recorded.',
  };
}

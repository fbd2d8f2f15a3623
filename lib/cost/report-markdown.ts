/** Formats a price or count the report holds (a number or 'unknown'). */
function n(v: any, money = false): string {
  if (typeof v !== 'number') return String(v ?? 'unknown');
  return money ? `$${v.toFixed(2)}` : String(v);
}

/** A short Markdown rendering of a platform report (see buildPlatformReport). */
export function renderPlatformReportMarkdown(report: any): string {
  const lines: string[] = [`# Platform report: ${report.stack}`, ''];
  lines.push(
    `Prices are ${report.currency} per hour unless marked; a month is ${report.hoursPerMonth} hours. "unknown" means the library's catalog has no list price for the size and the pool sets none.`,
    '',
  );
  for (const path of Object.keys(report.clusters).sort()) {
    const c = report.clusters[path];
    lines.push(`## Cluster ${c.name} (${c.cloud}, ${c.region})`, '');
    lines.push(
      '| pool | instance | GPU | market | nodes | accelerators / node | MIG slices / node | shares / node | Neuron cores / node | accelerators at max | $/h at min | $/h at max | price source |',
      '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    );
    for (const name of Object.keys(c.pools).sort()) {
      const p = c.pools[name];
      const source = p.price.source ? `${p.price.basis}: ${p.price.source}${p.price.asOf ? ` (${p.price.asOf})` : ''}` : p.price.basis;
      lines.push(
        `| ${name} | ${p.instanceType} | ${p.gpu} | ${p.market} | ${n(p.nodes.min)}-${n(p.nodes.max)} | ${n(p.perNode.accelerators)} | ${p.perNode.migSlices} | ${p.perNode.timeSlicedShares} | ${p.perNode.neuronCores} | ${n(p.atMaxNodes.accelerators)} | ${n(p.price.atMinHourly, true)} | ${n(p.price.atMaxHourly, true)}${p.price.atMaxInstanceType ? ` (as ${p.price.atMaxInstanceType})` : ''} | ${source}${p.price.note ? `; ${p.price.note}` : ''} |`,
      );
    }
    lines.push('');
    if (c.servedModels.length > 0) {
      lines.push(
        '### Served models',
        '',
        '| model | namespace | pool | resource × units | replicas | $/h at max replicas | memory plan |',
        '|---|---|---|---|---|---|---|',
      );
      for (const m of c.servedModels) {
        lines.push(
          `| ${m.servedName} | ${m.namespace} | ${m.pool} | ${m.resource} × ${m.unitsPerReplica} | ${m.replicas.min}-${m.replicas.max} | ${n(m.hourlyAtMaxReplicas, true)} | ${m.memoryPlan.explanation} |`,
        );
      }
      lines.push('');
    }
    if (c.tenants.quotaVsCapacity) {
      lines.push(
        '### Tenant quotas against pool capacity at max nodes',
        '',
        '| pool/resource | nominal quota | capacity | fits |',
        '|---|---|---|---|',
      );
      for (const [key, v] of Object.entries<any>(c.tenants.quotaVsCapacity)) {
        lines.push(`| ${key} | ${v.nominalQuota} | ${n(v.capacityAtMaxNodes)} | ${v.fits} |`);
      }
      lines.push('');
    }
  }
  const t = report.totals;
  const pools = Object.values<any>(report.clusters).reduce((sum, c) => sum + Object.keys(c.pools).length, 0);
  // A sum of nothing known is not $0: say unknown when no pool has the number.
  const sum = (x: any, show: (n: number) => string) =>
    x.unknownItems > 0 && x.unknownItems >= pools
      ? 'unknown'
      : `${show(x.known)}${x.unknownItems > 0 ? ` (+ ${x.unknownItems} pool(s) unknown)` : ''}`;
  const usd = (n: number) => `$${n.toFixed(2)}`;
  lines.push(
    '## Totals of the accelerator pools',
    '',
    'System pools, storage, network and managed services are not included.',
    '',
    `- accelerators at max nodes: ${sum(t.accelerators, String)}`,
    `- per hour at min nodes: ${sum(t.hourlyAtMin, usd)}`,
    `- per hour at max nodes: ${sum(t.hourlyAtMax, usd)}`,
    `- per month at max nodes: ${sum(t.monthlyAtMax, usd)}`,
    '',
  );
  return lines.join('\n');
}

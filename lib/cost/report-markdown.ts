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
        `| ${name} | ${p.instanceType} | ${p.gpu} | ${p.market} | ${n(p.nodes.min)}-${n(p.nodes.max)} | ${n(p.perNode.accelerators)} | ${p.perNode.migSlices} | ${p.perNode.timeSlicedShares} | ${p.perNode.neuronCores} | ${n(p.atMaxNodes.accelerators)} | ${n(p.price.atMinHourly, true)} | ${n(p.price.atMaxHourly, true)} | ${source}${p.price.note ? `; ${p.price.note}` : ''} |`,
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
  const unknown = (x: any) => (x.unknownItems > 0 ? ` (+ ${x.unknownItems} pool(s) unknown)` : '');
  lines.push(
    '## Totals',
    '',
    `- accelerators at max nodes: ${t.accelerators.known}${unknown(t.accelerators)}`,
    `- per hour at min nodes: $${t.hourlyAtMin.known.toFixed(2)}${unknown(t.hourlyAtMin)}`,
    `- per hour at max nodes: $${t.hourlyAtMax.known.toFixed(2)}${unknown(t.hourlyAtMax)}`,
    `- per month at max nodes: $${t.monthlyAtMax.known.toFixed(2)}${unknown(t.monthlyAtMax)}`,
    '',
  );
  return lines.join('\n');
}

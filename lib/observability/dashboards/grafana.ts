/**
 * A minimal Grafana dashboard model, enough for the platform's dashboards: time series and stat panels
 * on a 24-column grid, a datasource variable, fixed uids so links and provisioning stay stable.
 */

/** A query of a panel. */
export interface PanelTarget {
  /** PromQL. */
  readonly expr: string;
  /** Legend template, e.g. '{{node}} gpu {{gpu}}'. */
  readonly legend: string;
  /**
   * Evaluate once at the end of the range (a total over `$__range`) instead of at every point.
   * @default false
   */
  readonly instant?: boolean;
}

/** A panel before layout. */
export interface PanelSpec {
  /** Title. */
  readonly title: string;
  /** 'timeseries', 'stat' or 'bargauge'. */
  readonly type: string;
  /** Queries. */
  readonly targets: PanelTarget[];
  /** Grafana unit id: 'percent', 'percentunit', 'celsius', 'watt', 's', 'decmbytes', 'short'. */
  readonly unit: string;
  /** Width in grid columns (24 per row). */
  readonly width: number;
  /**
   * Help text.
   * @default - none
   */
  readonly description?: string;
  /**
   * Thresholds: [value, colour] after the base green.
   * @default - green only
   */
  readonly thresholds?: [number, string][];
}

/** A dashboard before rendering. */
export interface DashboardSpec {
  /** Fixed uid (<= 40 characters). */
  readonly uid: string;
  /** Title. */
  readonly title: string;
  /** Tags. */
  readonly tags: string[];
  /** Rows of panels, in order; a row title becomes a Grafana row panel. */
  readonly rows: { title: string; panels: PanelSpec[] }[];
}

/**
 * The datasource every panel uses: a variable defaulting to kube-prometheus-stack's datasource uid.
 * Written `$datasource`, not `${datasource}`: the JSON travels through Terraform, which would read `${`.
 */
const DS = { type: 'prometheus', uid: '$datasource' };

const LAST = { calcs: ['lastNotNull'], fields: '', values: false };
const OPTIONS: { [type: string]: { [key: string]: any } } = {
  stat: { reduceOptions: LAST, colorMode: 'value', graphMode: 'area' },
  bargauge: { reduceOptions: LAST, orientation: 'horizontal', displayMode: 'gradient', showUnfilled: true },
  timeseries: { legend: { displayMode: 'table', placement: 'bottom', calcs: ['mean', 'max'] }, tooltip: { mode: 'multi', sort: 'desc' } },
};

function panel(p: PanelSpec, id: number, x: number, y: number, height: number): { [key: string]: any } {
  const steps = [{ color: 'green', value: null as number | null }, ...(p.thresholds ?? []).map(([value, color]) => ({ color, value }))];
  return {
    id,
    type: p.type,
    title: p.title,
    ...(p.description ? { description: p.description } : {}),
    datasource: DS,
    gridPos: { h: height, w: p.width, x, y },
    fieldConfig: { defaults: { unit: p.unit, thresholds: { mode: 'absolute', steps } }, overrides: [] },
    options: OPTIONS[p.type] ?? OPTIONS.timeseries,
    targets: p.targets.map((t, i) => ({
      refId: String.fromCharCode(65 + i),
      datasource: DS,
      expr: t.expr,
      legendFormat: t.legend,
      ...(t.instant ? { instant: true, range: false } : {}),
    })),
  };
}

/** Renders a dashboard as the JSON object Grafana's sidecar provisions. */
export function renderDashboard(spec: DashboardSpec): { [key: string]: any } {
  const panels: { [key: string]: any }[] = [];
  let id = 1;
  let y = 0;
  for (const row of spec.rows) {
    panels.push({ id: id++, type: 'row', title: row.title, collapsed: false, gridPos: { h: 1, w: 24, x: 0, y }, panels: [] });
    y += 1;
    let x = 0;
    const height = row.panels.every((p) => p.type === 'stat') ? 4 : 8;
    for (const p of row.panels) {
      if (x + p.width > 24) {
        x = 0;
        y += height;
      }
      panels.push(panel(p, id++, x, y, height));
      x += p.width;
    }
    y += height;
  }
  return {
    uid: spec.uid,
    title: spec.title,
    tags: ['ai-platform', ...spec.tags],
    editable: false,
    schemaVersion: 39,
    version: 1,
    time: { from: 'now-6h', to: 'now' },
    refresh: '30s',
    timezone: 'utc',
    graphTooltip: 1,
    templating: {
      list: [
        {
          name: 'datasource',
          label: 'Data source',
          type: 'datasource',
          query: 'prometheus',
          // kube-prometheus-stack provisions its Prometheus datasource with this uid.
          current: { text: 'Prometheus', value: 'prometheus' },
          hide: 0,
        },
      ],
    },
    annotations: { list: [] },
    panels,
  };
}

/** Shorthand for a time series panel. */
export function timeseries(title: string, unit: string, width: number, targets: PanelTarget[], extra: Partial<PanelSpec> = {}): PanelSpec {
  return { title, type: 'timeseries', unit, width, targets, ...extra };
}

/** Shorthand for a stat panel. */
export function stat(title: string, unit: string, width: number, expr: string, extra: Partial<PanelSpec> = {}): PanelSpec {
  return { title, type: 'stat', unit, width, targets: [{ expr, legend: title }], ...extra };
}

/** Shorthand for a bar gauge of instant queries: one bar per series, e.g. a total over the dashboard's range. */
export function barGauge(title: string, unit: string, width: number, targets: PanelTarget[], extra: Partial<PanelSpec> = {}): PanelSpec {
  return { title, type: 'bargauge', unit, width, targets: targets.map((t) => ({ ...t, instant: true })), ...extra };
}

import { ChartRef, pinnedChart } from '../addons/chart';

/** Pinned charts of the observability stack (versions from the reference copies the library is checked against). */
export class ObservabilityCharts {
  /** Prometheus operator, Prometheus, Alertmanager, Grafana, kube-state-metrics, node-exporter. */
  public static readonly KUBE_PROMETHEUS_STACK: ChartRef = pinnedChart(
    'kube-prometheus-stack',
    'https://prometheus-community.github.io/helm-charts',
    '88.5.3',
  );
  /** NVIDIA DCGM exporter, for clusters whose GPUs are not managed by the GPU operator. */
  public static readonly DCGM_EXPORTER: ChartRef = pinnedChart(
    'dcgm-exporter',
    'https://nvidia.github.io/dcgm-exporter/helm-charts',
    '4.8.2',
  );
  /** OpenTelemetry collector, the trace gateway. */
  public static readonly OPENTELEMETRY_COLLECTOR: ChartRef = pinnedChart(
    'opentelemetry-collector',
    'https://open-telemetry.github.io/opentelemetry-helm-charts',
    '0.170.0',
  );
}

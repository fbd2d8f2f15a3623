import { IAcceleratorCluster } from '../core/cluster';
import { gpuNodeTolerations } from '../private/tolerations';
import { NODE_LABEL, poolsAffinity, SCRAPE_INTERVAL } from './scrape';
import { AcceleratorKind } from '../gpu/accelerator';
import { dcgmCountersCsv } from '../addons/gpu-operator/dcgm-counters';

/** Kind of DCGM exporter source. */
export enum DcgmExporterKind {
  /** The GPU operator's exporter, scraped through a ServiceMonitor. */
  GPU_OPERATOR = 'gpu-operator',
  /** The dcgm-exporter chart, installed by the observability stack. */
  STANDALONE = 'standalone',
  /** No DCGM metrics. */
  NONE = 'none',
}

/** Where GPU metrics come from. */
export class DcgmExporterSource {
  /** The exporter the NVIDIA GPU operator runs in `operatorNamespace`. */
  public static gpuOperator(operatorNamespace: string = 'gpu-operator'): DcgmExporterSource {
    return new DcgmExporterSource(DcgmExporterKind.GPU_OPERATOR, operatorNamespace);
  }

  /** The standalone dcgm-exporter chart, on inference and training pools; for clusters without the GPU operator. */
  public static standalone(): DcgmExporterSource {
    return new DcgmExporterSource(DcgmExporterKind.STANDALONE);
  }

  /** No DCGM exporter (no NVIDIA GPUs). */
  public static none(): DcgmExporterSource {
    return new DcgmExporterSource(DcgmExporterKind.NONE);
  }

  private constructor(
    /** The kind. */
    public readonly kind: DcgmExporterKind,
    /** Namespace of the GPU operator, for GPU_OPERATOR. */
    public readonly operatorNamespace?: string,
  ) {}
}

/** The service and port the GPU operator creates for its DCGM exporter. */
const OPERATOR_DCGM_SERVICE = { label: 'nvidia-dcgm-exporter', port: 'gpu-metrics' };

// Both exporters label GPU series with the pod/namespace/container holding the GPU; honorLabels keeps
// those instead of overwriting them with the exporter pod's own.

/** ServiceMonitor (kube-prometheus-stack `prometheus.additionalServiceMonitors` item) for the GPU operator's DCGM exporter. */
export function operatorDcgmServiceMonitor(operatorNamespace: string): { [key: string]: any } {
  return {
    name: 'nvidia-dcgm-exporter',
    selector: { matchLabels: { app: OPERATOR_DCGM_SERVICE.label } },
    namespaceSelector: { matchNames: [operatorNamespace] },
    endpoints: [
      { port: OPERATOR_DCGM_SERVICE.port, path: '/metrics', interval: SCRAPE_INTERVAL, honorLabels: true, relabelings: [NODE_LABEL] },
    ],
  };
}

/**
 * Values of the standalone dcgm-exporter chart, used when no GPU operator runs its own exporter: only on
 * NVIDIA pools, with the chart's ServiceMonitor (its CRD comes from kube-prometheus-stack, installed first).
 */
export function standaloneDcgmValues(cluster: IAcceleratorCluster): { [key: string]: any } {
  return {
    tolerations: gpuNodeTolerations(cluster),
    affinity: poolsAffinity(cluster.acceleratorPools.filter((p) => p.accelerator === AcceleratorKind.NVIDIA_GPU)),
    serviceMonitor: { enabled: true, interval: SCRAPE_INTERVAL, honorLabels: true, relabelings: [NODE_LABEL] },
    // Replaces the chart's default list (its ConfigMap, mounted as default-counters.csv).
    customMetrics: dcgmCountersCsv(),
  };
}

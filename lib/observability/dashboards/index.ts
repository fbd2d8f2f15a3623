import { ResolvedAlertThresholds } from '../alerts';
import { renderDashboard } from './grafana';
import { gpuCostDashboard } from './gpu-cost';
import { gpuFleetDashboard } from './gpu-fleet';
import { llmServingDashboard } from './llm-serving';
import { migDashboard } from './mig';
import { neuronDashboard } from './neuron';

/** Which accelerators the cluster has, to ship only dashboards that can show data. */
export interface DashboardSelection {
  /** NVIDIA pools exist. */
  readonly nvidia: boolean;
  /** MIG-partitioned pools exist. */
  readonly mig: boolean;
  /** Neuron pools exist. */
  readonly neuron: boolean;
  /**
   * Accelerator pools exist whose cost the recording rules price.
   * @default false
   */
  readonly cost?: boolean;
  /**
   * DCGM metrics are scraped (GPU activity beside cost).
   * @default - as `nvidia`
   */
  readonly dcgm?: boolean;
}

/** The platform dashboards as Grafana JSON objects, in a fixed order. */
export function platformDashboards(t: ResolvedAlertThresholds, sel: DashboardSelection): { [key: string]: any }[] {
  const specs = [
    ...(sel.nvidia ? [gpuFleetDashboard(t)] : []),
    ...(sel.mig ? [migDashboard()] : []),
    ...(sel.neuron ? [neuronDashboard()] : []),
    llmServingDashboard(t),
    ...(sel.cost ? [gpuCostDashboard(sel.dcgm ?? sel.nvidia)] : []),
  ];
  return specs.map(renderDashboard);
}

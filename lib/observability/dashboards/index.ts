import { ResolvedAlertThresholds } from '../alerts';
import { renderDashboard } from './grafana';
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
}

/** The platform dashboards as Grafana JSON objects, in a fixed order. */
export function platformDashboards(t: ResolvedAlertThresholds, sel: DashboardSelection): { [key: string]: any }[] {
  const specs = [
    ...(sel.nvidia ? [gpuFleetDashboard(t)] : []),
    ...(sel.mig ? [migDashboard()] : []),
    ...(sel.neuron ? [neuronDashboard()] : []),
    llmServingDashboard(t),
  ];
  return specs.map(renderDashboard);
}

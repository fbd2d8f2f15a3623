import { ChartRef, pinnedChart } from '../chart';

/**
 * Pinned charts of the inference gateway. Envoy Gateway routes and enforces policy; each model's endpoint
 * picker chooses the pod through Envoy's ext_proc and endpoint override, both Envoy Gateway v1.9.0 APIs, so no
 * extension server is needed.
 */
export class GatewayCharts {
  /** Envoy Gateway: the controller, Gateway API v1.6.1 and Envoy Gateway CRDs (its `crds` subchart). */
  public static readonly ENVOY_GATEWAY: ChartRef = pinnedChart('gateway-helm', 'oci://docker.io/envoyproxy', 'v1.9.0');
}

import { ChartRef, pinnedChart } from '../chart';

/**
 * Pinned charts of the inference gateway. Envoy Gateway routes and enforces policy; it hands InferencePool
 * backends to Envoy AI Gateway, its extension server (Envoy Gateway v1.9.0 has no InferencePool support of
 * its own: the Gateway API Inference Extension lists Envoy AI Gateway as the Envoy implementation).
 */
export class GatewayCharts {
  /** Envoy Gateway: the controller, Gateway API v1.6.1 and Envoy Gateway CRDs (its `crds` subchart). */
  public static readonly ENVOY_GATEWAY: ChartRef = pinnedChart('gateway-helm', 'oci://docker.io/envoyproxy', 'v1.9.0');
  /** Envoy AI Gateway's CRDs (AIGatewayRoute, ...), as templates: upgraded with the chart. */
  public static readonly AI_GATEWAY_CRDS: ChartRef = pinnedChart('ai-gateway-crds-helm', 'oci://docker.io/envoyproxy', 'v1.1.0');
  /** Envoy AI Gateway's controller: Envoy Gateway's extension server for InferencePool backends and model routing. */
  public static readonly AI_GATEWAY: ChartRef = pinnedChart('ai-gateway-helm', 'oci://docker.io/envoyproxy', 'v1.1.0');
}

/** Image tag of Envoy AI Gateway (controller and the ext_proc sidecar it injects into Envoy pods). */
export const AI_GATEWAY_VERSION = 'v1.1.0';

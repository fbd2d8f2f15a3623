import { kubernetesName, labelValue } from '../private/naming';

// How a router finds the model servers it routes to: the port both listen on, the labels it selects servers
// by, and the name of the router those labels carry.

/** Port vLLM and the router listen on. */
export const SERVING_PORT = 8000;
/** Label every model server of one RagStack carries; the router discovers pods by it. */
export const RAG_STACK_LABEL = 'ai-platform.dev/rag-stack';
/** Label naming the served model of a pod. */
export const SERVED_MODEL_LABEL = 'ai-platform.dev/served-model';
/** Label naming the router that discovers a model server. */
export const ROUTER_LABEL = 'ai-platform.dev/router';

/** The name of a router's Deployment and Service (a DNS-1035 label), which its servers carry as a label. */
export function routerServiceName(routerName: string): string {
  return kubernetesName(routerName, 'service');
}

/** The value of ROUTER_LABEL on the servers a router discovers. */
export function routerLabelValue(routerName: string): string {
  return labelValue(routerServiceName(routerName));
}

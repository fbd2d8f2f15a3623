import { NetworkPolicyV1 } from '@cdktf/provider-kubernetes/lib/network-policy-v1';
import { ITerraformDependable, Token } from 'cdktf';
import { Construct } from 'constructs';
import { GATEWAY_NAMESPACE, GATEWAY_POD_LABELS, InferenceGateway } from '../addons/inference-gateway/inference-gateway';
import { ManifestsRelease } from '../addons/manifests';
import { KubernetesSecretKeyRef } from '../core/data-services';
import { kubernetesName, labelValue } from '../private/naming';
import { RAG_STACK_LABEL, SERVING_PORT } from './discovery';
import { EndpointPicker, EPP_EXT_PROC_PORT, PICKER_APP } from './endpoint-picker';
import { modelServerSelector } from './model-server';
import { RagNames } from './names';
import { ServingPlan } from './serving-plan';
import { RagContext } from './types';

/** Header Envoy AI Gateway sets from the request body's `model`; its routes match on it. */
export const MODEL_HEADER = 'x-ai-eg-model';
/** Header the API key is read from (`Authorization: Bearer <key>`, as OpenAI clients send it). */
export const API_KEY_HEADER = 'Authorization';

/** JWTs the gateway accepts instead of the stack's API key (OIDC access tokens, for example). */
export interface GatewayJwtOptions {
  /** Issuer the tokens must carry (`iss`), e.g. 'https://login.example.com/'. */
  readonly issuer: string;
  /** HTTPS URL of the issuer's JSON Web Key Set, which Envoy fetches and caches. */
  readonly jwksUri: string;
  /**
   * Audiences of which a token must carry one (`aud`).
   * @default - any audience
   */
  readonly audiences?: string[];
}

/** Problems of JWT options, as `<prop> <value> <problem>; <fix>`. */
export function gatewayJwtProblems(prop: string, jwt: GatewayJwtOptions | undefined): string[] {
  if (!jwt) return [];
  const out: string[] = [];
  if (!Token.isUnresolved(jwt.issuer) && jwt.issuer.trim() === '')
    out.push(`${prop}.issuer '' is empty; give the issuer your tokens carry, e.g. 'https://login.example.com/'`);
  if (!Token.isUnresolved(jwt.jwksUri) && !/^https:\/\/[^\s/]+/.test(jwt.jwksUri))
    out.push(
      `${prop}.jwksUri '${jwt.jwksUri}' is not an https URL; give the issuer's JWKS endpoint, e.g. 'https://login.example.com/.well-known/jwks.json'`,
    );
  return out;
}

/** What a RagStack's gateway routes are built from. */
export interface GatewayRoutesInput {
  readonly ctx: RagContext;
  readonly names: RagNames;
  /** The plans by task. */
  readonly plans: { [task: string]: ServingPlan };
  /** Model server names by task. */
  readonly serverNames: Map<string, string>;
  readonly gateway: InferenceGateway;
  /** The stack's API key: the gateway asks for it on every route. */
  readonly apiKey: KubernetesSecretKeyRef;
  /**
   * JWTs instead of the API key.
   * @default - the API key
   */
  readonly jwt?: GatewayJwtOptions;
  /** Requests per minute each route admits, per Envoy replica. */
  readonly requestsPerMinute: number;
  /** What the objects wait for (namespace, API key). */
  readonly dependsOn: ITerraformDependable[];
}

/** A RagStack's models behind the gateway. */
export interface GatewayRoutes {
  /** InferencePools, the AIGatewayRoute, its SecurityPolicy and BackendTrafficPolicy. */
  readonly manifests: { [key: string]: any }[];
  /** Name of the route (the AIGatewayRoute and the HTTPRoute Envoy AI Gateway generates from it). */
  readonly routeName: string;
}

/**
 * Each served model as an InferencePool (selecting exactly its server's pods, on vLLM's port) with its
 * endpoint picker; one AIGatewayRoute sending each model name to its pool; a SecurityPolicy asking for the
 * stack's API key and a local rate limit on the HTTPRoute generated from it; and a NetworkPolicy admitting
 * the gateway's Envoy pods to the model servers and pickers, so the gateway is the only way in from
 * outside the namespace (the routers stay for what the gateway cannot do, see RagStack).
 */
export function gatewayRoutes(scope: Construct, o: GatewayRoutesInput): GatewayRoutes {
  const { ctx, gateway } = o;
  const after = [...o.dependsOn, ...gateway.dependables];
  const routeName = kubernetesName(`${o.names.stack}-models`, 'label');
  const pools: { [key: string]: any }[] = [];
  const rules: { [key: string]: any }[] = [];
  for (const [task, plan] of Object.entries(o.plans)) {
    const poolName = o.serverNames.get(task)!;
    const picker = new EndpointPicker(scope, `Picker-${task}`, {
      ctx,
      name: kubernetesName(`${poolName}-epp`, 'service'),
      poolName,
      podLabels: { [RAG_STACK_LABEL]: labelValue(o.names.stack) },
      dependsOn: after,
    });
    pools.push(inferencePool(ctx.namespace, poolName, modelServerSelector(o.names.stack, plan.servedName), picker.serviceName));
    rules.push({
      matches: [{ headers: [{ type: 'Exact', name: MODEL_HEADER, value: plan.servedName }] }],
      backendRefs: [{ group: 'inference.networking.k8s.io', kind: 'InferencePool', name: poolName }],
      // Long generations stream for minutes.
      timeouts: { request: '300s' },
    });
  }
  const httpRoute = { group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', name: routeName };
  const meta = (name: string) => ({ name, namespace: ctx.namespace, labels: { 'app.kubernetes.io/part-of': 'ai-platform' } });
  const manifests = [
    ...pools,
    {
      apiVersion: 'aigateway.envoyproxy.io/v1beta1',
      kind: 'AIGatewayRoute',
      metadata: meta(routeName),
      spec: {
        parentRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: gateway.gatewayName, namespace: gateway.namespace }],
        rules,
      },
    },
    // Replaces the Gateway's deny-all for this route: the stack's API key or a JWT, as `Authorization: Bearer`.
    routeSecurityPolicy(meta, httpRoute, o.apiKey, o.jwt),
    {
      apiVersion: 'gateway.envoyproxy.io/v1alpha1',
      kind: 'BackendTrafficPolicy',
      metadata: meta(`${routeName}-rate-limit`),
      spec: {
        targetRefs: [httpRoute],
        rateLimit: { type: 'Local', local: { rules: [{ limit: { requests: o.requestsPerMinute, unit: 'Minute' } }] } },
      },
    },
  ];
  new ManifestsRelease(scope, 'GatewayRoutes', {
    cluster: ctx.cluster,
    releaseName: kubernetesName(`${o.names.stack}-gateway`, 'label', 53),
    namespace: ctx.namespace,
    manifests,
    dependsOn: after,
  });
  admitGateway(scope, ctx, o.names.stack, o.dependsOn);
  return { manifests, routeName };
}

/** The route's SecurityPolicy: JWTs from the issuer when configured, else the stack's API key. */
function routeSecurityPolicy(
  meta: (name: string) => { [key: string]: any },
  target: { [key: string]: string },
  apiKey: KubernetesSecretKeyRef,
  jwt: GatewayJwtOptions | undefined,
): { [key: string]: any } {
  const auth = jwt
    ? {
        jwt: {
          providers: [
            {
              name: 'issuer',
              issuer: jwt.issuer,
              ...(jwt.audiences ? { audiences: [...jwt.audiences] } : {}),
              remoteJWKS: { uri: jwt.jwksUri },
            },
          ],
        },
      }
    : { apiKeyAuth: { credentialRefs: [{ group: '', kind: 'Secret', name: apiKey.name }], extractFrom: [{ headers: [API_KEY_HEADER] }] } };
  return {
    apiVersion: 'gateway.envoyproxy.io/v1alpha1',
    kind: 'SecurityPolicy',
    metadata: meta(`${target.name}-${jwt ? 'jwt' : 'api-key'}`),
    spec: { targetRefs: [target], ...auth },
  };
}

/** An InferencePool `inference.networking.k8s.io/v1`: the server's pods, vLLM's port, its picker. */
export function inferencePool(
  namespace: string,
  name: string,
  selector: { [key: string]: string },
  pickerService: string,
): { [key: string]: any } {
  return {
    apiVersion: 'inference.networking.k8s.io/v1',
    kind: 'InferencePool',
    metadata: { name, namespace, labels: { 'app.kubernetes.io/part-of': 'ai-platform' } },
    spec: {
      selector: { matchLabels: { ...selector } },
      targetPorts: [{ number: SERVING_PORT }],
      appProtocol: 'http',
      // FailOpen (the chart's default): with the picker down, Envoy still serves from any pod of the pool.
      endpointPickerRef: { name: pickerService, port: { number: EPP_EXT_PROC_PORT }, failureMode: 'FailOpen' },
    },
  };
}

/**
 * The namespace admits its own pods and monitoring only: Envoy pods of the gateway may reach the model
 * servers on vLLM's port and the pickers on their ext_proc port, nothing else (not the routers).
 */
function admitGateway(scope: Construct, ctx: RagContext, stackName: string, dependsOn: ITerraformDependable[]): void {
  const provider = ctx.cluster.providers(scope).kubernetes;
  const from = [
    {
      namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': GATEWAY_NAMESPACE } },
      podSelector: { matchLabels: { ...GATEWAY_POD_LABELS } },
    },
  ];
  const targets: [string, string, number][] = [
    ['AdmitGatewayToServers', 'vllm', SERVING_PORT],
    ['AdmitGatewayToPickers', PICKER_APP, EPP_EXT_PROC_PORT],
  ];
  for (const [id, app, port] of targets) {
    new NetworkPolicyV1(scope, id, {
      provider,
      metadata: { name: kubernetesName(`${stackName}-gateway-to-${app}`), namespace: ctx.namespace },
      spec: {
        podSelector: { matchLabels: { [RAG_STACK_LABEL]: labelValue(stackName), 'app.kubernetes.io/name': app } },
        policyTypes: ['Ingress'],
        ingress: [{ from, ports: [{ port: String(port), protocol: 'TCP' }] }],
      },
      dependsOn,
    });
  }
}

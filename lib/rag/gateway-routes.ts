import { NetworkPolicyV1 } from '@cdktf/provider-kubernetes/lib/network-policy-v1';
import { SecretV1 } from '@cdktf/provider-kubernetes/lib/secret-v1';
import { Fn, ITerraformDependable, Token } from 'cdktf';
import { Construct, IConstruct } from 'constructs';
import {
  GATEWAY_CONTAINER_PORT,
  GATEWAY_NAMESPACE,
  GATEWAY_POD_LABELS,
  InferenceGateway,
} from '../addons/inference-gateway/inference-gateway';
import { ManifestsRelease } from '../addons/manifests';
import { KubernetesSecretKeyRef } from '../core/data-services';
import { requestEgress } from '../core/egress-requests';
import { kubernetesName, labelValue } from '../private/naming';
import { reportProblems } from '../private/problems';
import { RAG_STACK_LABEL, SERVING_PORT } from './discovery';
import { EndpointPicker, EPP_EXT_PROC_PORT, PICKER_APP } from './endpoint-picker';
import { modelServerSelector } from './model-server';
import { RagNames } from './names';
import { ModelTask } from './served-model';
import { ServingPlan } from './serving-plan';
import { RagContext } from './types';

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

/** Header the endpoint picker names the chosen pod in (`<pod IP>:<port>`); Envoy's endpoint override reads it. */
export const DESTINATION_HEADER = 'x-gateway-destination-endpoint';

/** Path prefix of a served model on the gateway: its OpenAI API is `https://<gateway>/models/<name>/v1`. */
export function gatewayModelPath(servedName: string): string {
  return `/models/${servedName}/v1`;
}

/**
 * Whether a task's model is reached through an endpoint picker. The picker's OpenAI parser (v1.5.0) knows
 * chat, completions and embeddings; it reads /v1/rerank and /v1/score as completions and refuses them.
 */
export function hasEndpointPicker(task: string): boolean {
  return task !== ModelTask.SCORE;
}

/**
 * The counter of gateway requests a model at zero replicas could not be served, which wakes it: its picker's
 * errors by the body's model name, or, without a picker, Envoy's failed connections to the route's Service
 * (the route is named as the server's Deployment and Service).
 */
export function gatewayWakeCounter(namespace: string, serverName: string, plan: ServingPlan): string {
  return hasEndpointPicker(plan.task)
    ? `inference_objective_request_error_total{namespace="${namespace}",model_name="${plan.servedName}"}`
    : `envoy_cluster_upstream_cx_connect_fail{envoy_cluster_name=~".*/${namespace}/${serverName}/.*"}`;
}

/** What a RagStack's gateway routes are built from. */
export interface GatewayRoutesInput {
  readonly ctx: RagContext;
  readonly names: RagNames;
  /** The plans by task. */
  readonly plans: { [task: string]: ServingPlan };
  /** Model server names by task (each server's Deployment and Service). */
  readonly serverNames: Map<string, string>;
  readonly gateway: InferenceGateway;
  /** The stack's API key: the gateway asks for it on every route (and vLLM behind it). */
  readonly apiKey: KubernetesSecretKeyRef;
  /** The Secret holding it (JWT mode derives the key vLLM is called with from it). */
  readonly apiKeySecret: SecretV1;
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
  /** Per model: InferencePool, picker Backend, HTTPRoute and its EnvoyExtensionPolicy, BackendTrafficPolicy, SecurityPolicy. */
  readonly manifests: { [key: string]: any }[];
  /** Gateway base URL of each served model (append `/chat/completions`, `/embeddings`, ...), by task. */
  readonly baseUrls: { [task: string]: string };
}

/**
 * Each served model behind the gateway, with Envoy Gateway's own APIs (no extension server):
 * - an InferencePool selecting exactly its server's pods on vLLM's port, read by its endpoint picker;
 * - an HTTPRoute `/models/<served name>/v1` -> `/v1` to the server's Service (whose endpoints are the pool's
 *   pods on the same port);
 * - an EnvoyExtensionPolicy calling the picker (ext_proc, full-duplex streaming, as the Inference Extension's
 *   endpoint-picker protocol asks) and a BackendTrafficPolicy whose endpoint override sends the request to the
 *   pod the picker named (least-request among the pool when no pod is named), with a local rate limit;
 * - a SecurityPolicy asking for the stack's API key, or JWTs from the issuer (then the route swaps the token
 *   for the API key vLLM checks);
 * - NetworkPolicies admitting the gateway's Envoy pods to the servers and pickers.
 * Routing is by path, not by the body's `model`: Envoy Gateway v1.9.0 enables a route's ext_proc filters
 * from the route first matched, so a body-based router that re-selects the route would bypass the picker.
 */
export function gatewayRoutes(scope: Construct, o: GatewayRoutesInput): GatewayRoutes {
  const { ctx, gateway } = o;
  const after = [...o.dependsOn, ...gateway.dependables];
  const meta = (name: string) => ({ name, namespace: ctx.namespace, labels: { 'app.kubernetes.io/part-of': 'ai-platform' } });
  const manifests: { [key: string]: any }[] = [];
  const baseUrls: { [task: string]: string } = {};
  const problems: string[] = [];
  const credential = o.jwt ? backendCredential(scope, ctx, o) : undefined;
  if (credential) manifests.push(credential.filter);
  for (const [task, plan] of Object.entries(o.plans)) {
    const server = o.serverNames.get(task)!;
    const claim = gateway.claimModel(plan.servedName, scope);
    if (claim) problems.push(claim);
    const path = gatewayModelPath(plan.servedName);
    baseUrls[task] = `${gateway.url}${path}`;
    const route = { group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', name: server };
    // The picker's OpenAI parser (v1.5.0) knows chat, completions and embeddings; it reads /v1/rerank and
    // /v1/score as completions and refuses them for want of a prompt. A reranker's short requests need no
    // cache affinity anyway: its route goes to the Service.
    const picked = hasEndpointPicker(task);
    if (picked) manifests.push(...pickerObjects(scope, o, task, server, plan, route, meta, after));
    manifests.push(
      {
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'HTTPRoute',
        metadata: meta(server),
        spec: {
          parentRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: gateway.gatewayName, namespace: gateway.namespace }],
          rules: [
            {
              matches: [{ path: { type: 'PathPrefix', value: path } }],
              filters: [
                { type: 'URLRewrite', urlRewrite: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/v1' } } },
                ...(credential
                  ? [
                      {
                        type: 'ExtensionRef',
                        extensionRef: { group: 'gateway.envoyproxy.io', kind: 'HTTPRouteFilter', name: credential.filter.metadata.name },
                      },
                    ]
                  : []),
              ],
              // The server's Service: its endpoints are the pool's pods on vLLM's port, which the override names.
              backendRefs: [{ kind: 'Service', name: server, port: 80 }],
              // Long generations stream for minutes.
              timeouts: { request: '300s' },
            },
          ],
        },
      },
      {
        apiVersion: 'gateway.envoyproxy.io/v1alpha1',
        kind: 'BackendTrafficPolicy',
        metadata: meta(server),
        spec: {
          targetRefs: [route],
          // Picked: least requests over the pool's pods when the picker names none. Unpicked: through the
          // Service's ClusterIP, so a model at zero replicas still gets requests (Envoy Gateway answers 503
          // itself for a Service without endpoints) and its failed connections wake it.
          ...(picked
            ? { loadBalancer: { type: 'LeastRequest', endpointOverride: { extractFrom: [{ header: DESTINATION_HEADER }] } } }
            : { routingType: 'Service' }),
          rateLimit: { type: 'Local', local: { rules: [{ limit: { requests: o.requestsPerMinute, unit: 'Minute' } }] } },
        },
      },
      // Replaces the Gateway's deny-all for this route: the stack's API key or a JWT, as `Authorization: Bearer`.
      routeSecurityPolicy(meta, route, o.apiKey, o.jwt),
    );
  }
  reportProblems(scope, problems);
  new ManifestsRelease(scope, 'GatewayRoutes', {
    cluster: ctx.cluster,
    releaseName: kubernetesName(`${o.names.stack}-gateway`, 'label', 53),
    namespace: ctx.namespace,
    manifests,
    dependsOn: [...after, ...(credential ? [credential.secret] : [])],
  });
  admitGateway(scope, ctx, o.names.stack, o.dependsOn);
  requestGatewayEgress(ctx.cluster, ctx.namespace);
  return { manifests, baseUrls };
}

/** A picked model's InferencePool, endpoint picker, its TLS Backend and the route's EnvoyExtensionPolicy. */
function pickerObjects(
  scope: Construct,
  o: GatewayRoutesInput,
  task: string,
  server: string,
  plan: ServingPlan,
  route: { [key: string]: string },
  meta: (name: string) => { [key: string]: any },
  after: ITerraformDependable[],
): { [key: string]: any }[] {
  const { ctx } = o;
  const picker = new EndpointPicker(scope, `Picker-${task}`, {
    ctx,
    name: kubernetesName(`${server}-epp`, 'service'),
    poolName: server,
    podLabels: { [RAG_STACK_LABEL]: labelValue(o.names.stack) },
    dependsOn: after,
  });
  const pickerBackend = kubernetesName(`${server}-epp`, 'label');
  return [
    inferencePool(ctx.namespace, server, modelServerSelector(o.names.stack, plan.servedName), picker.serviceName),
    {
      // The picker's TLS endpoint: it serves ext_proc over TLS with a certificate it makes itself at start,
      // so Envoy encrypts without verifying; only the gateway's Envoy pods may reach it (NetworkPolicy).
      apiVersion: 'gateway.envoyproxy.io/v1alpha1',
      kind: 'Backend',
      metadata: meta(pickerBackend),
      spec: {
        endpoints: [{ fqdn: { hostname: `${picker.serviceName}.${ctx.namespace}.svc.cluster.local`, port: EPP_EXT_PROC_PORT } }],
        tls: { insecureSkipVerify: true, alpnProtocols: ['h2'] },
      },
    },
    {
      apiVersion: 'gateway.envoyproxy.io/v1alpha1',
      kind: 'EnvoyExtensionPolicy',
      metadata: meta(`${server}-picker`),
      spec: {
        targetRefs: [route],
        extProc: [
          {
            backendRefs: [{ group: 'gateway.envoyproxy.io', kind: 'Backend', name: pickerBackend, port: EPP_EXT_PROC_PORT }],
            // The picker answers the headers once it has read the body (the prompt, for prefix affinity) and
            // reads the response for token counts. Full duplex requires failing closed.
            processingMode: { request: { body: 'FullDuplexStreamed' }, response: { body: 'FullDuplexStreamed' } },
            messageTimeout: '300s',
            failOpen: false,
          },
        ],
      },
    },
  ];
}

/**
 * JWT mode: the token authenticates the client at the gateway; vLLM still checks the stack's API key. A Secret
 * holds `Bearer <key>` (a reference to the generated key: in state, never in the configuration) and an
 * HTTPRouteFilter puts it in `Authorization` on the way to vLLM.
 */
function backendCredential(scope: Construct, ctx: RagContext, o: GatewayRoutesInput): { secret: SecretV1; filter: { [key: string]: any } } {
  const name = kubernetesName(`${o.names.stack}-gateway-backend-key`, 'label');
  const secret = new SecretV1(scope, 'GatewayBackendKey', {
    provider: ctx.cluster.providers(scope).kubernetes,
    metadata: { name, namespace: ctx.namespace, labels: { 'app.kubernetes.io/part-of': 'ai-platform' } },
    type: 'Opaque',
    data: { credential: Fn.join('', ['Bearer ', Fn.lookup(o.apiKeySecret.data, o.apiKey.key, '')]) },
    dependsOn: o.dependsOn,
  });
  const filter = {
    apiVersion: 'gateway.envoyproxy.io/v1alpha1',
    kind: 'HTTPRouteFilter',
    metadata: { name, namespace: ctx.namespace, labels: { 'app.kubernetes.io/part-of': 'ai-platform' } },
    spec: {
      credentialInjection: { header: API_KEY_HEADER, overwrite: true, credential: { valueRef: { group: '', kind: 'Secret', name } } },
    },
  };
  return { secret, filter };
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
      // FailClose: what the gateway does (the picker is called with full-duplex streaming, which fails closed).
      endpointPickerRef: { name: pickerService, port: { number: EPP_EXT_PROC_PORT }, failureMode: 'FailClose' },
    },
  };
}

/**
 * Egress from a namespace of clients to the gateway's Envoy pods, by label (Cilium on AKS matches no CIDR
 * between pods): a Service on 443 reaches them on their container port, which default-deny egress would
 * drop (it allows 443 only). Namespaces the library did not create are their owner's to open.
 */
export function requestGatewayEgress(cluster: IConstruct, namespace: string): void {
  requestEgress(cluster, {
    namespace,
    name: 'inference-gateway',
    cidrs: [],
    pods: { namespace: GATEWAY_NAMESPACE, labels: GATEWAY_POD_LABELS },
    ports: [GATEWAY_CONTAINER_PORT],
  });
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

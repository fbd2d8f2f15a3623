import { DeploymentV1 } from '@cdktf/provider-kubernetes/lib/deployment-v1';
import { PodDisruptionBudgetV1 } from '@cdktf/provider-kubernetes/lib/pod-disruption-budget-v1';
import { RoleBindingV1 } from '@cdktf/provider-kubernetes/lib/role-binding-v1';
import { RoleV1 } from '@cdktf/provider-kubernetes/lib/role-v1';
import { ServiceAccountV1 } from '@cdktf/provider-kubernetes/lib/service-account-v1';
import { ServiceV1 } from '@cdktf/provider-kubernetes/lib/service-v1';
import { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { KubernetesSecretKeyRef } from '../core/data-services';
import { labelValue } from '../private/naming';
import { containerSecurityContext, podSecurityContext, writableDirs } from '../private/pod-security';
import { ServingMetricsLabels } from '../observability/scrape';
import { API_AUTH_MOUNT_PATH, ApiAuthConfig, ROUTER_LAUNCHER, ROUTER_PYTHON } from './api-auth';
import { RAG_STACK_LABEL, ROUTER_LABEL, routerServiceName, SERVING_PORT } from './discovery';
import { SERVING_UID } from './model-server';
import { RagContext } from './types';

/** The vLLM production-stack router, pinned to the release of the vllm-stack 0.1.12 chart. */
export const ROUTER_IMAGE = 'lmcache/lmstack-router:v0.1.12';

/** Options of the router. */
export interface ModelRouterProps {
  /** Where it runs. */
  readonly ctx: RagContext;
  /** Name of the RagStack. */
  readonly stackName: string;
  /** Name of this router (Deployment, Service; the model servers it discovers carry it as a label). */
  readonly routerName: string;
  /**
   * Routing logic: 'prefixaware' for generation (requests sharing a prompt prefix land where its KV cache
   * is), 'roundrobin' for embedding and scoring (prefix-aware routing reads a prompt those requests lack).
   */
  readonly routingLogic: string;
  /**
   * Secret with the API key: clients send it on every route but GET `/health` and `/metrics` (the router
   * itself checks none; a middleware mounted from a ConfigMap does), and the router's discovery calls send
   * it to the servers.
   */
  readonly apiKey: KubernetesSecretKeyRef;
  /**
   * Router replicas.
   * @default 2
   */
  readonly replicas?: number;
  /** What it waits for. */
  readonly dependsOn: ITerraformDependable[];
}

/** Labels of the router pods. */
export function routerLabels(stackName: string, routerName: string): { [key: string]: string } {
  return {
    'app.kubernetes.io/name': 'vllm-router',
    'app.kubernetes.io/instance': labelValue(routerName),
    'app.kubernetes.io/part-of': 'ai-platform',
    [RAG_STACK_LABEL]: labelValue(stackName),
    // A PodMonitor of its own: the router's request counter wakes models scaled to zero.
    [ServingMetricsLabels.KEY]: ServingMetricsLabels.VLLM_ROUTER,
  };
}

/**
 * The vLLM production-stack router: one OpenAI-compatible endpoint for every model of the stack, with
 * prefix-aware routing across replicas, finding servers through the Kubernetes API (a Role that may only
 * read pods of its namespace). Its prefix table grows with traffic (production-stack#687): a memory limit
 * and liveness probe restart it before it starves the node, and two replicas keep the endpoint up meanwhile.
 * It starts through a launcher that adds the API-key middleware to its app (see `apiKey`).
 */
export class ModelRouter extends Construct {
  /** In-cluster base URL of the OpenAI-compatible API (append `/v1`). */
  public readonly url: string;
  /** Labels of the router pods (network policies admit granted namespaces to them). */
  public readonly podLabels: { [key: string]: string };
  /** The Deployment. */
  public readonly deployment: DeploymentV1;

  constructor(scope: Construct, id: string, props: ModelRouterProps) {
    super(scope, id);
    const { ctx } = props;
    const provider = ctx.cluster.providers(this).kubernetes;
    const name = routerServiceName(props.routerName);
    this.podLabels = routerLabels(props.stackName, name);
    const selector = { 'app.kubernetes.io/name': 'vllm-router', 'app.kubernetes.io/instance': labelValue(name) };
    const sa = new ServiceAccountV1(this, 'ServiceAccount', {
      provider,
      metadata: { name, namespace: ctx.namespace },
      automountServiceAccountToken: false,
      dependsOn: props.dependsOn,
    });
    const role = new RoleV1(this, 'Role', {
      provider,
      metadata: { name, namespace: ctx.namespace },
      rule: [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] }],
      dependsOn: props.dependsOn,
    });
    const binding = new RoleBindingV1(this, 'RoleBinding', {
      provider,
      metadata: { name, namespace: ctx.namespace },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
      subject: [{ kind: 'ServiceAccount', name, namespace: ctx.namespace }],
      dependsOn: [role, sa],
    });
    const auth = new ApiAuthConfig(this, 'ApiAuth', { ctx, workloadName: name, router: true });
    const probe = (period: number) => ({
      httpGet: { path: '/health', port: String(SERVING_PORT) },
      periodSeconds: period,
      failureThreshold: 3,
      timeoutSeconds: 5,
    });
    const routerDirs = writableDirs([{ name: 'tmp', mountPath: '/tmp', sizeLimit: '256Mi' }]);
    this.deployment = new DeploymentV1(this, 'Deployment', {
      provider,
      metadata: { name, namespace: ctx.namespace, labels: this.podLabels },
      spec: {
        replicas: String(props.replicas ?? 2),
        selector: { matchLabels: selector },
        template: {
          metadata: { labels: this.podLabels, annotations: auth.podAnnotations },
          spec: {
            serviceAccountName: name,
            automountServiceAccountToken: true,
            priorityClassName: 'ai-inference',
            // Replicas on different nodes, so one node going away leaves the endpoint up.
            topologySpreadConstraint: [
              {
                maxSkew: 1,
                topologyKey: 'kubernetes.io/hostname',
                whenUnsatisfiable: 'ScheduleAnyway',
                labelSelector: [{ matchLabels: selector }],
              },
            ],
            nodeSelector: { ...ctx.cluster.systemNodeSelector },
            toleration: ctx.cluster.systemTolerations.map((t) => ({ ...t })),
            securityContext: podSecurityContext({ uid: SERVING_UID, gid: SERVING_UID }),
            container: [
              {
                name: 'router',
                image: ROUTER_IMAGE,
                imagePullPolicy: 'IfNotPresent',
                // The router's entrypoint (vllm_router.app:main) through a launcher that adds the API-key
                // middleware first: the router itself checks no key (see api-auth.ts).
                command: [ROUTER_PYTHON, `${API_AUTH_MOUNT_PATH}/${ROUTER_LAUNCHER}`],
                args: [
                  '--host',
                  '0.0.0.0',
                  '--port',
                  String(SERVING_PORT),
                  '--service-discovery',
                  'k8s',
                  '--k8s-namespace',
                  ctx.namespace,
                  '--k8s-port',
                  String(SERVING_PORT),
                  '--k8s-label-selector',
                  `${ROUTER_LABEL}=${labelValue(name)},app.kubernetes.io/name=vllm`,
                  '--routing-logic',
                  props.routingLogic,
                  '--engine-stats-interval',
                  '15',
                  '--request-stats-window',
                  '60',
                ],
                env: [
                  { name: 'VLLM_API_KEY', valueFrom: { secretKeyRef: { name: props.apiKey.name, key: props.apiKey.key } } },
                  ...auth.env,
                  // Python libraries write caches under HOME; the root file system is read-only.
                  { name: 'HOME', value: '/tmp' },
                ],
                port: [{ name: ServingMetricsLabels.PORT_NAME, containerPort: SERVING_PORT, protocol: 'TCP' }],
                resources: { requests: { cpu: '500m', memory: '1Gi' }, limits: { memory: '2Gi' } },
                readinessProbe: probe(5),
                livenessProbe: probe(10),
                securityContext: containerSecurityContext({ uid: SERVING_UID, gid: SERVING_UID }),
                volumeMount: [...routerDirs.volumeMount, auth.volumeMount],
              },
            ],
            volume: [...routerDirs.volume, auth.volume],
          },
        },
      },
      waitForRollout: false,
      dependsOn: [...props.dependsOn, binding, auth.configMap],
    });
    new ServiceV1(this, 'Service', {
      provider,
      metadata: { name, namespace: ctx.namespace, labels: this.podLabels },
      spec: { selector, port: [{ name: 'http', port: 80, targetPort: ServingMetricsLabels.PORT_NAME, protocol: 'TCP' }] },
      dependsOn: props.dependsOn,
    });
    new PodDisruptionBudgetV1(this, 'Budget', {
      provider,
      metadata: { name, namespace: ctx.namespace },
      spec: { maxUnavailable: '1', selector: { matchLabels: selector } },
      dependsOn: props.dependsOn,
    });
    this.url = `http://${name}.${ctx.namespace}.svc.cluster.local`;
  }
}

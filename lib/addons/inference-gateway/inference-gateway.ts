import { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import * as fs from 'fs';
import * as path from 'path';
import { parse } from 'yaml';
import { IPlatformCluster } from '../../core/cluster';
import { reportProblems } from '../../private/problems';
import { isToken, validateApiAllowList, validateWholeNumber } from '../../private/validation';
import { ChartOverrides, HelmAddon } from '../chart';
import { ManifestsRelease } from '../manifests';
import { PlatformNamespace, PodSecurityLevel } from '../namespace';
import { GatewayCertificate } from './certificate';
import { GatewayCharts } from './charts';

/** Namespace of Envoy Gateway and the Envoy data plane. */
export const GATEWAY_NAMESPACE = 'envoy-gateway-system';
/** The GatewayClass the library's Gateway uses (cluster-scoped). */
export const GATEWAY_CLASS = 'ai-platform-inference';
/** Name of the Gateway, of its EnvoyProxy and of the Envoy Service. */
export const GATEWAY_NAME = 'inference-gateway';
/** Port of the TLS listener. */
export const GATEWAY_PORT = 443;
/**
 * Container port of Envoy for the listener: Envoy Gateway adds 10000 to ports below 1024, so Envoy runs
 * without NET_BIND_SERVICE.
 */
export const GATEWAY_CONTAINER_PORT = GATEWAY_PORT + 10000;
/** Labels of the Envoy data-plane pods of the library's Gateway (set by Envoy Gateway). */
export const GATEWAY_POD_LABELS: { [key: string]: string } = {
  'app.kubernetes.io/managed-by': 'envoy-gateway',
  'app.kubernetes.io/component': 'proxy',
  'gateway.envoyproxy.io/owning-gateway-name': GATEWAY_NAME,
  'gateway.envoyproxy.io/owning-gateway-namespace': GATEWAY_NAMESPACE,
};
/** Port of Envoy Gateway's topology-injector webhook, which the API server calls. */
const WEBHOOK_PORT = 9443;
/**
 * The namespace label the Gateway's listener admits routes from. Only RagStack sets it (on the namespace it
 * creates); tenant namespaces carry the platform's label but not this one, so they cannot attach routes.
 */
export const GATEWAY_ROUTES_LABEL = { key: 'ai-platform.io/inference-gateway-routes', value: 'true' };

/** Options of the inference gateway. */
export interface InferenceGatewayProps {
  /** Cluster to install into. */
  readonly cluster: IPlatformCluster;
  /**
   * The listener's certificate: a Secret you create, or a Certificate your cert-manager issues. The library
   * never handles key material; until the Secret exists the listener is not programmed.
   * @default GatewayCertificate.fromSecret('inference-gateway-tls')
   */
  readonly certificate?: GatewayCertificate;
  /**
   * Host name clients use (the certificate must cover it); when set, the listener accepts only it.
   * @default - the Envoy Service's in-cluster name, `inference-gateway.envoy-gateway-system.svc.cluster.local`, and any host
   */
  readonly hostname?: string;
  /**
   * Make the load balancer internet-facing, reachable from these IPv4 CIDRs only (the Service's
   * `loadBalancerSourceRanges`). Without it the load balancer is internal: private addresses of the
   * cluster's network.
   * @default - an internal load balancer
   */
  readonly publicAccessCidrs?: string[];
  /**
   * Envoy replicas (spread over nodes of the system pool).
   * @default 2
   */
  readonly replicas?: number;
  /**
   * Version and values overrides of the Envoy Gateway chart.
   * @default - the pinned version and the library's values
   */
  readonly envoyGatewayChart?: ChartOverrides;
  /**
   * Install the InferencePool CRD (`inference.networking.k8s.io/v1`, Gateway API Inference Extension
   * v1.6.0). Set false when something else on the cluster (another gateway, llm-d, KServe) already manages
   * it: two Helm releases cannot own one CRD.
   * @default true
   */
  readonly installInferencePoolCrd?: boolean;
}

let cachedCrd: { [key: string]: any } | undefined;

/**
 * The InferencePool CRD (`inference.networking.k8s.io/v1`) of Gateway API Inference Extension v1.6.0,
 * vendored beside this file: neither Envoy chart ships it.
 */
export function inferencePoolCrd(): { [key: string]: any } {
  cachedCrd ??= parse(fs.readFileSync(path.join(__dirname, 'crds', 'inference.networking.k8s.io_inferencepools.yaml'), 'utf8'));
  return cachedCrd!;
}

/**
 * One inference gateway per cluster: Envoy Gateway (pinned chart) and a Gateway with one TLS listener behind
 * a load balancer that is internal unless `publicAccessCidrs` is given. RagStacks attach their models to it:
 * one HTTPRoute per model (path `/models/<served name>/v1`), whose endpoint picker chooses the pod through
 * ext_proc and Envoy's endpoint override. Every route attached to it needs its own SecurityPolicy: a
 * Gateway-wide SecurityPolicy denies every request, and a route's own policy (RagStack's API key or JWTs)
 * replaces it for that route only, so a route without one answers 403.
 *
 * Install order (one apply): the namespace, the InferencePool CRD, Envoy Gateway (with the Gateway API and
 * Envoy Gateway CRDs), then the GatewayClass, EnvoyProxy, Gateway and the deny-all policy. Destroy runs in
 * reverse; the InferencePool CRD stays (`helm.sh/resource-policy: keep`), so InferencePools elsewhere survive.
 *
 * CRD upgrades: the InferencePool CRD is a chart template, upgraded with its release. The Gateway API and
 * Envoy Gateway CRDs come from gateway-helm's `crds` subchart, in Helm's `crds/` directory, which Helm
 * installs once and never upgrades or deletes: before raising `envoyGatewayChart.version`, apply the new
 * version's CRDs with
 * `helm template eg-crds oci://docker.io/envoyproxy/gateway-crds-helm --version <v> --set crds.gatewayAPI.enabled=true --set crds.gatewayAPI.channel=experimental --set crds.envoyGateway.enabled=true | kubectl apply --server-side -f -`.
 */
export class InferenceGateway extends Construct {
  /** Namespace of the gateway. */
  public readonly namespace = GATEWAY_NAMESPACE;
  /** Name of the Gateway (routes name it in `parentRefs`). */
  public readonly gatewayName = GATEWAY_NAME;
  /** Host name clients use. */
  public readonly hostname: string;
  /** Base URL of the gateway (append `/v1` for the OpenAI API). */
  public readonly url: string;
  /** True when the load balancer is internet-facing. */
  public readonly isPublic: boolean;
  /** The cluster. */
  public readonly cluster: IPlatformCluster;
  /** The Envoy Gateway release. */
  public readonly envoyGateway: HelmAddon;
  /** The GatewayClass, EnvoyProxy, Gateway and the Gateway-wide deny-all SecurityPolicy. */
  public readonly manifests: { [key: string]: any }[];
  private readonly objects: ManifestsRelease;
  private readonly crd?: ManifestsRelease;
  /** Served model names attached so far, with the construct path that attached each. */
  private readonly models = new Map<string, string>();

  constructor(scope: Construct, id: string, props: InferenceGatewayProps) {
    super(scope, id);
    const cluster = props.cluster;
    this.cluster = cluster;
    const certificate = props.certificate ?? GatewayCertificate.fromSecret();
    const cidrs = props.publicAccessCidrs;
    reportProblems(this, [...certificate._problems(), ...validate(props)]);
    this.isPublic = cidrs !== undefined;
    this.hostname = props.hostname ?? `${GATEWAY_NAME}.${GATEWAY_NAMESPACE}.svc.cluster.local`;
    this.url = `https://${this.hostname}`;
    const placement = { nodeSelector: { ...cluster.systemNodeSelector }, tolerations: cluster.systemTolerations.map((t) => ({ ...t })) };

    // Pod Security 'restricted': the chart's controller and certgen job and the Envoy and shutdown-manager
    // containers Envoy Gateway creates (DefaultSecurityContext in its v1.9.0 infrastructure code) drop every
    // capability and run as 65532 with RuntimeDefault seccomp. Envoy is reached on its listener from anywhere
    // (the load balancer's allow-list decides who); the API server calls the topology-injector webhook.
    const ns = new PlatformNamespace(this, 'Namespace', {
      cluster,
      name: GATEWAY_NAMESPACE,
      podSecurity: PodSecurityLevel.RESTRICTED,
      openPorts: [
        { podLabels: GATEWAY_POD_LABELS, port: GATEWAY_CONTAINER_PORT },
        { podLabels: { 'control-plane': 'envoy-gateway' }, port: WEBHOOK_PORT },
      ],
    });
    // Kept when the release goes: deleting a CRD deletes every InferencePool on the cluster.
    const crd =
      props.installInferencePoolCrd === false
        ? undefined
        : new ManifestsRelease(this, 'InferencePoolCrd', {
            cluster,
            releaseName: 'inference-pool-crd',
            namespace: GATEWAY_NAMESPACE,
            manifests: [keptCrd(inferencePoolCrd())],
            dependsOn: ns.dependables,
          });
    this.crd = crd;
    this.envoyGateway = new HelmAddon(this, 'EnvoyGateway', {
      cluster,
      releaseName: 'eg',
      chart: GatewayCharts.ENVOY_GATEWAY,
      namespace: GATEWAY_NAMESPACE,
      createNamespace: false,
      dependsOn: [...ns.dependables, ...(crd ? [crd.release] : [])],
      overrides: props.envoyGatewayChart,
      values: {
        crds: { enabled: true },
        // Two controllers (leader election): the topology-injector webhook stays up through a node drain.
        deployment: { replicas: 2, pod: { ...placement } },
        podDisruptionBudget: { minAvailable: 1 },
        // The certificate job is a pre-install hook: on the system pool too, or it waits for a node forever.
        certgen: { job: { ...placement } },
        config: {
          envoyGateway: {
            gateway: { controllerName: 'gateway.envoyproxy.io/gatewayclass-controller' },
            provider: { type: 'Kubernetes' },
            // Backend: the endpoint pickers' TLS endpoints (ext_proc). EnvoyPatchPolicy stays off: it patches
            // Envoy's configuration directly, past every SecurityPolicy.
            extensionApis: { enableBackend: true },
          },
        },
      },
    });
    const inCluster = `${GATEWAY_NAME}.${GATEWAY_NAMESPACE}.svc`;
    const issued = certificate._manifest(GATEWAY_NAMESPACE, GATEWAY_NAME, [
      ...(props.hostname ? [props.hostname] : []),
      `${inCluster}.cluster.local`,
      inCluster,
    ]);
    this.manifests = gatewayManifests({
      hostname: props.hostname,
      tlsSecretName: certificate.secretName,
      replicas: props.replicas ?? 2,
      placement,
      serviceAnnotations: cluster.loadBalancerServiceAnnotations(!this.isPublic),
      publicAccessCidrs: cidrs,
    });
    this.objects = new ManifestsRelease(this, 'Gateway', {
      cluster,
      releaseName: GATEWAY_NAME,
      namespace: GATEWAY_NAMESPACE,
      manifests: [...(issued ? [issued] : []), ...this.manifests],
      dependsOn: [...ns.dependables, this.envoyGateway.release],
    });
  }

  /** What routes, pools and their policies wait for: the controller, the CRDs and the Gateway. */
  public get dependables(): ITerraformDependable[] {
    return [...(this.crd ? [this.crd.release] : []), this.envoyGateway.release, this.objects.release];
  }

  /**
   * Claims a served model name for a route (its path is `/models/<name>/v1`): returns the problem when another
   * construct attached the same name to this gateway, else undefined.
   */
  public claimModel(servedName: string, owner: Construct): string | undefined {
    const other = this.models.get(servedName);
    if (other !== undefined && other !== owner.node.path)
      return `gateway model '${servedName}' is already served through gateway '${this.node.path}' by '${other}'; serve it from one RagStack, or give this one another servedName`;
    this.models.set(servedName, owner.node.path);
    return undefined;
  }
}

/** What the gateway's own objects are built from. */
interface GatewayManifestsInput {
  readonly hostname?: string;
  readonly tlsSecretName: string;
  readonly replicas: number;
  readonly placement: { nodeSelector: { [key: string]: string }; tolerations: { [key: string]: any }[] };
  readonly serviceAnnotations: { [key: string]: string };
  readonly publicAccessCidrs?: string[];
}

/** The GatewayClass, its EnvoyProxy, the Gateway and the Gateway-wide deny-all SecurityPolicy. */
export function gatewayManifests(o: GatewayManifestsInput): { [key: string]: any }[] {
  const meta = (name: string) => ({ name, namespace: GATEWAY_NAMESPACE, labels: { 'app.kubernetes.io/part-of': 'ai-platform' } });
  return [
    {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'GatewayClass',
      metadata: { name: GATEWAY_CLASS, labels: { 'app.kubernetes.io/part-of': 'ai-platform' } },
      spec: {
        controllerName: 'gateway.envoyproxy.io/gatewayclass-controller',
        parametersRef: { group: 'gateway.envoyproxy.io', kind: 'EnvoyProxy', name: GATEWAY_NAME, namespace: GATEWAY_NAMESPACE },
      },
    },
    {
      apiVersion: 'gateway.envoyproxy.io/v1alpha1',
      kind: 'EnvoyProxy',
      metadata: meta(GATEWAY_NAME),
      spec: {
        provider: {
          type: 'Kubernetes',
          kubernetes: {
            envoyDeployment: {
              replicas: o.replicas,
              pod: {
                ...o.placement,
                topologySpreadConstraints: [
                  {
                    maxSkew: 1,
                    topologyKey: 'kubernetes.io/hostname',
                    whenUnsatisfiable: 'ScheduleAnyway',
                    labelSelector: { matchLabels: { ...GATEWAY_POD_LABELS } },
                  },
                ],
              },
            },
            envoyPDB: { maxUnavailable: 1 },
            envoyService: {
              // A fixed name: clients and the certificate name it (Envoy Gateway otherwise appends a hash).
              name: GATEWAY_NAME,
              type: 'LoadBalancer',
              annotations: { ...o.serviceAnnotations },
              // Client addresses reach Envoy (and its policies) unchanged.
              externalTrafficPolicy: 'Local',
              ...(o.publicAccessCidrs ? { loadBalancerSourceRanges: [...o.publicAccessCidrs] } : {}),
            },
          },
        },
        // Rate limits before the endpoint picker (Envoy Gateway's default runs them after ext_proc): a request
        // over the limit is refused before its body is streamed to the picker and scheduled.
        filterOrder: [{ name: 'envoy.filters.http.local_ratelimit', before: 'envoy.filters.http.ext_proc' }],
      },
    },
    {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'Gateway',
      metadata: meta(GATEWAY_NAME),
      spec: {
        gatewayClassName: GATEWAY_CLASS,
        listeners: [
          {
            name: 'https',
            protocol: 'HTTPS',
            port: GATEWAY_PORT,
            ...(o.hostname ? { hostname: o.hostname } : {}),
            tls: { mode: 'Terminate', certificateRefs: [{ kind: 'Secret', name: o.tlsSecretName }] },
            // Routes from namespaces RagStack created only: tenants' namespaces cannot attach one.
            allowedRoutes: {
              namespaces: {
                from: 'Selector',
                selector: { matchLabels: { [GATEWAY_ROUTES_LABEL.key]: GATEWAY_ROUTES_LABEL.value } },
              },
            },
          },
        ],
      },
    },
    {
      // Deny by default: a route's own SecurityPolicy replaces this one for that route, so a route attached
      // without credentials answers 403 instead of serving anyone.
      apiVersion: 'gateway.envoyproxy.io/v1alpha1',
      kind: 'SecurityPolicy',
      metadata: meta(`${GATEWAY_NAME}-deny-all`),
      spec: {
        targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: GATEWAY_NAME }],
        authorization: { defaultAction: 'Deny' },
      },
    },
  ];
}

/** The CRD with Helm's keep policy: uninstalling its release leaves it (and every InferencePool) in place. */
function keptCrd(crd: { [key: string]: any }): { [key: string]: any } {
  return { ...crd, metadata: { ...crd.metadata, annotations: { ...crd.metadata?.annotations, 'helm.sh/resource-policy': 'keep' } } };
}

function validate(props: InferenceGatewayProps): string[] {
  const out: string[] = [];
  out.push(...validateWholeNumber('replicas', props.replicas, 1, 20, 'use 2 or more for an endpoint that survives a node'));
  const cidrs = props.publicAccessCidrs;
  if (cidrs !== undefined && !isToken(cidrs)) {
    if (cidrs.length === 0)
      out.push(
        'publicAccessCidrs [] opens no network, yet makes the load balancer internet-facing; list the CIDRs that may reach it, or leave it unset for an internal one',
      );
    out.push(
      ...validateApiAllowList('publicAccessCidrs', cidrs, 'leave publicAccessCidrs unset for an internal load balancer', 'the gateway'),
    );
  }
  if (
    props.hostname !== undefined &&
    !isToken(props.hostname) &&
    !/^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$/.test(props.hostname)
  )
    out.push(`hostname '${props.hostname}' is not a DNS name; use the name your certificate covers, e.g. 'llm.example.com'`);
  return out;
}

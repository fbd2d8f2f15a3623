import { ConfigMapV1 } from '@cdktf/provider-kubernetes/lib/config-map-v1';
import { DeploymentV1 } from '@cdktf/provider-kubernetes/lib/deployment-v1';
import { SecretV1 } from '@cdktf/provider-kubernetes/lib/secret-v1';
import { ServiceAccountV1 } from '@cdktf/provider-kubernetes/lib/service-account-v1';
import { scaledObject } from '../addons/scaled-object';
import { ITerraformDependable, Token } from 'cdktf';
import { Construct } from 'constructs';
import { IWorkloadIdentity } from '../core/cluster';
import { IObjectEventQueue, KubernetesSecretKeyRef } from '../core/data-services';
import { kubernetesName } from '../private/naming';
import { containerSecurityContext, podSecurityContext, writableDirs } from '../private/pod-security';
import { reportProblems } from '../private/problems';
import { IVectorStoreBinding, RagContext } from './types';

/** A user-supplied ingestion worker: reads new documents, embeds them, writes the vector store. */
export interface IngestionOptions {
  /** Container image (pin a digest or tag). */
  readonly image: string;
  /**
   * Command (entrypoint override).
   * @default - the image's entrypoint
   */
  readonly command?: string[];
  /**
   * Most worker replicas.
   * @default 4
   */
  readonly maxReplicas?: number;
  /**
   * Queued documents per replica KEDA aims for.
   * @default 10
   */
  readonly messagesPerReplica?: number;
}

/** What the ingestion worker of a RagStack is built from. */
export interface IngestionWorkerProps {
  readonly options: IngestionOptions;
  readonly ctx: RagContext;
  /** Name of the service account, Deployment and ScaledObject. */
  readonly name: string;
  /** The new-document queue it scales on. */
  readonly queue: IObjectEventQueue;
  readonly vectorStore: IVectorStoreBinding;
  /** The stack's API key secret. */
  readonly apiKey: SecretV1;
  readonly apiKeySecret: KubernetesSecretKeyRef;
  /** Name of the endpoints ConfigMap the pods read. */
  readonly endpointsConfigMapName: string;
  /** Grants the worker's identity what ingestion needs (RagStack.grantIngest). */
  readonly grant: (identity: IWorkloadIdentity) => void;
  /** What its objects wait for (the namespace). */
  readonly dependsOn: ITerraformDependable[];
}

/**
 * The ingestion worker of a RagStack (created under `scope`, the stack): its identity with the ingest grant
 * and its KEDA objects (`scalingManifests`, installed with the stack's), then, through `deploy` once the
 * endpoints ConfigMap exists (its data carries the worker's vector store login), the service account and a
 * Deployment that KEDA scales from zero on the queue.
 */
export class IngestionWorker {
  /** The KEDA TriggerAuthentication and ScaledObject. */
  public readonly scalingManifests: { [key: string]: any }[];
  private readonly identity: IWorkloadIdentity;

  constructor(
    private readonly scope: Construct,
    private readonly props: IngestionWorkerProps,
  ) {
    const o = props.options;
    const problems: string[] = [];
    const per = o.messagesPerReplica ?? 10;
    const max = o.maxReplicas ?? 4;
    if (!Number.isInteger(per) || per < 1)
      problems.push(`documents.ingestion.messagesPerReplica ${per} is not a whole number >= 1; use e.g. 10`);
    if (!Number.isInteger(max) || max < 1) problems.push(`documents.ingestion.maxReplicas ${max} is not a whole number >= 1; use e.g. 4`);
    if (!Token.isUnresolved(o.image) && !/^[^\s:@]+(:[\w][\w.-]{0,127})?(@sha256:[a-f0-9]{64})?$/.test(o.image))
      problems.push(`documents.ingestion.image '${o.image}' is not an image reference; use registry/name:tag or name@sha256:<digest>`);
    if (!Token.isUnresolved(o.image) && /:latest$|^[^:@]+$/.test(o.image))
      problems.push(`documents.ingestion.image '${o.image}' is not pinned; use a version tag or a digest`);
    reportProblems(scope, problems);

    const { ctx, name } = props;
    this.identity = ctx.cluster.bindServiceAccount(scope, 'Ingestion', { namespace: ctx.namespace, serviceAccountName: name });
    props.grant(this.identity);
    const trigger = props.queue.kedaTrigger(per);
    const auth = kubernetesName(`${name}-queue`, 'subdomain');
    this.scalingManifests = [
      {
        apiVersion: 'keda.sh/v1alpha1',
        kind: 'TriggerAuthentication',
        metadata: { name: auth, namespace: ctx.namespace },
        // The KEDA operator's own workload identity reads the queue length (granted by grantMonitor).
        spec: { podIdentity: { provider: trigger.podIdentityProvider } },
      },
      scaledObject({
        name,
        namespace: ctx.namespace,
        minReplicas: 0,
        maxReplicas: max,
        pollingInterval: 30,
        cooldownPeriod: 300,
        triggers: [{ type: trigger.type, metadata: trigger.metadata, authenticationRef: { name: auth } }],
      }),
    ];
  }

  /** The service account and the Deployment (zero replicas until KEDA sees documents). */
  public deploy(endpoints: ConfigMapV1): DeploymentV1 {
    const { scope, identity } = this;
    const { ctx, name, options: o, apiKeySecret } = this.props;
    const cluster = ctx.cluster;
    const provider = cluster.providers(scope).kubernetes;
    const sa = new ServiceAccountV1(scope, 'IngestionServiceAccount', {
      provider,
      metadata: { name, namespace: ctx.namespace, annotations: { ...identity.serviceAccountAnnotations } },
      automountServiceAccountToken: false,
      dependsOn: this.props.dependsOn,
    });
    const store = this.props.vectorStore.apiKeySecret;
    const labels = {
      'app.kubernetes.io/name': 'rag-ingestion',
      'app.kubernetes.io/instance': name,
      'app.kubernetes.io/part-of': 'ai-platform',
    };
    const tmp = writableDirs([{ name: 'tmp', mountPath: '/tmp', sizeLimit: '1Gi' }]);
    return new DeploymentV1(scope, 'IngestionDeployment', {
      provider,
      metadata: { name, namespace: ctx.namespace, labels },
      spec: {
        replicas: '0',
        selector: { matchLabels: { 'app.kubernetes.io/instance': name } },
        template: {
          metadata: { labels: { ...labels, ...identity.podLabels } },
          spec: {
            serviceAccountName: name,
            automountServiceAccountToken: true,
            // The team's worker is an ordinary workload: where the cluster runs those, not on the add-on pool.
            nodeSelector: { ...cluster.workloadNodeSelector },
            toleration: cluster.workloadTolerations.map((t) => ({ ...t })),
            // The team's image runs as its own numeric non-root user (the kubelet refuses a root or named one).
            securityContext: podSecurityContext(),
            container: [
              {
                name: 'ingestion',
                image: o.image,
                command: o.command,
                envFrom: [{ configMapRef: { name: this.props.endpointsConfigMapName } }],
                env: [
                  { name: 'OPENAI_API_KEY', valueFrom: { secretKeyRef: { name: apiKeySecret.name, key: apiKeySecret.key } } },
                  // An in-cluster store's key (the ConfigMap only names its secret); pgvector takes cloud tokens.
                  ...(store ? [{ name: 'VECTOR_STORE_API_KEY', valueFrom: { secretKeyRef: { name: store.name, key: store.key } } }] : []),
                ],
                resources: { requests: { cpu: '500m', memory: '1Gi' }, limits: { memory: '2Gi' } },
                securityContext: containerSecurityContext(),
                volumeMount: tmp.volumeMount,
              },
            ],
            volume: tmp.volume,
          },
        },
      },
      waitForRollout: false,
      lifecycle: { ignoreChanges: ['spec[0].replicas'] },
      // What the pods read (endpoints, API key) exists before the first one starts, whatever KEDA does meanwhile.
      dependsOn: [
        ...this.props.dependsOn,
        sa,
        this.props.apiKey,
        ...identity.dependables,
        ...this.props.vectorStore.dependables,
        endpoints,
      ],
    });
  }
}

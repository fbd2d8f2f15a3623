import { ConfigMapV1 } from '@cdktf/provider-kubernetes/lib/config-map-v1';
import { NetworkPolicyV1 } from '@cdktf/provider-kubernetes/lib/network-policy-v1';
import { SecretV1 } from '@cdktf/provider-kubernetes/lib/secret-v1';
import { Fn, ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { PRIVATE_RANGES } from '../addons/egress';
import { IWorkloadIdentity } from '../core/cluster';
import { requestEgress } from '../core/egress-requests';
import { KubernetesSecretKeyRef, ServiceLogin } from '../core/data-services';
import { kubernetesName } from '../private/naming';
import { loginEndpoints } from './endpoints';
import { IVectorStoreBinding, RagContext } from './types';

/** What a RagStack's grants hand out and where. */
export interface RagGrantsProps {
  readonly ctx: RagContext;
  readonly vectorStore: IVectorStoreBinding;
  /** The API key secret (its copies reference its value). */
  readonly apiKey: SecretV1;
  readonly apiKeySecret: KubernetesSecretKeyRef;
  readonly endpointsConfigMapName: string;
  /** The endpoints ConfigMap's data, copied into each granted namespace. */
  readonly endpoints: { [key: string]: string };
  /** Labels of each router's pods (none when a gateway fronts the models). */
  readonly routerPodLabels: { [key: string]: string }[];
  /**
   * Called once per granted namespace (the gateway asks for its egress there).
   * @default - nothing
   */
  readonly onGrant?: (namespace: string) => void;
}

/**
 * Admits identities to a RagStack (created under `scope`, the stack): their namespace gets a copy of the
 * endpoints ConfigMap and of the API key secret, network policies admit it to the routers (and the
 * in-cluster vector store), and the identity gets the vector store login. Once per namespace; the stack's
 * own namespace gets no copies: its ConfigMap carries the first login granted there (`namespaceLogin`).
 */
export class RagGrants {
  /** The login of the first identity granted in the stack's own namespace (the ingestion worker). */
  public namespaceLogin?: ServiceLogin;
  private readonly granted = new Map<string, ITerraformDependable[]>();

  constructor(
    private readonly scope: Construct,
    private readonly props: RagGrantsProps,
  ) {}

  /** Lets the identity call the models and read (with `write`, also write) the vector store. */
  public admit(identity: IWorkloadIdentity, after: ITerraformDependable[], write?: boolean): ITerraformDependable[] {
    const { ctx, vectorStore: store } = this.props;
    const login = store.grantAccess(identity, write);
    const target = identity.namespace;
    const own = target === ctx.namespace;
    if (own) this.namespaceLogin ??= login;
    const storeKey = own ? [] : this.copyStoreKey(identity, after, login);
    const known = this.granted.get(target);
    if (known) {
      known.push(...storeKey);
      return known;
    }
    const provider = ctx.cluster.providers(this.scope).kubernetes;
    const sid = `Grant-${target}`;
    const deps: ITerraformDependable[] = [];
    const admitFrom = [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': target } } }];
    const allow = (id: string, name: string, podLabels: { [key: string]: string }, port: number) =>
      new NetworkPolicyV1(this.scope, id, {
        provider,
        metadata: { name: kubernetesName(name), namespace: ctx.namespace },
        spec: {
          podSelector: { matchLabels: { ...podLabels } },
          policyTypes: ['Ingress'],
          ingress: [{ from: admitFrom, ports: [{ port: String(port), protocol: 'TCP' }] }],
        },
        dependsOn: ctx.dependables,
      });
    this.props.routerPodLabels.forEach((labels, i) =>
      deps.push(allow(`${sid}-Router${i || ''}`, `allow-${target}-to-${labels['app.kubernetes.io/instance']}`, labels, 8000)),
    );
    this.props.onGrant?.(target);
    store.exposedPorts.forEach((p, i) => deps.push(allow(`${sid}-Store${i}`, `allow-${target}-to-store-${p.port}`, p.podLabels, p.port)));
    if (!own) {
      // The identity's pods query a managed store (pgvector) themselves: their namespace, if the library
      // created it, allows its port.
      if (store.kind === 'pgvector')
        requestEgress(ctx.cluster, { namespace: target, name: 'vector-store', cidrs: [...PRIVATE_RANGES], ports: [store.port] });
      deps.push(...this.copyEndpointsAndKey(identity, after, login), ...storeKey);
    }
    this.granted.set(target, deps);
    return deps;
  }

  /**
   * The app's namespace must exist: it belongs to the app team. Copies are Terraform-managed; keys are
   * references to the generated ones (in state, never in the configuration).
   */
  private copyEndpointsAndKey(identity: IWorkloadIdentity, after: ITerraformDependable[], login: ServiceLogin): ITerraformDependable[] {
    const { ctx, apiKeySecret } = this.props;
    const provider = ctx.cluster.providers(this.scope).kubernetes;
    const sid = `Grant-${identity.namespace}`;
    const dependsOn = [...identity.dependables, ...after];
    return [
      new ConfigMapV1(this.scope, `${sid}-Endpoints`, {
        provider,
        metadata: { name: this.props.endpointsConfigMapName, namespace: identity.namespace },
        data: { ...this.props.endpoints, ...loginEndpoints(login, this.props.vectorStore, ctx.cluster.region) },
        dependsOn,
      }),
      new SecretV1(this.scope, `${sid}-ApiKey`, {
        provider,
        metadata: { name: apiKeySecret.name, namespace: identity.namespace },
        type: 'Opaque',
        data: { 'api-key': Fn.lookup(this.props.apiKey.data, 'api-key', '') },
        dependsOn,
      }),
    ];
  }

  /**
   * Copies the in-cluster store's key of this login into the identity's namespace, once per namespace and
   * key: a query grant gets the read-only key (where the store has one), an ingest grant the admin key.
   */
  private copyStoreKey(identity: IWorkloadIdentity, after: ITerraformDependable[], login: ServiceLogin): ITerraformDependable[] {
    const store = this.props.vectorStore;
    const ref = login.passwordSecret;
    if (!ref) return [];
    const readOnly = store.readOnlyKeySecret?.name === ref.name;
    const value = readOnly ? store.readOnlyKeyValue : ref.name === store.apiKeySecret?.name ? store.apiKeyValue : undefined;
    const id = `Grant-${identity.namespace}-${readOnly ? 'StoreReadKey' : 'StoreKey'}`;
    if (!value || this.scope.node.tryFindChild(id)) return [];
    return [
      new SecretV1(this.scope, id, {
        provider: this.props.ctx.cluster.providers(this.scope).kubernetes,
        metadata: { name: ref.name, namespace: identity.namespace },
        type: 'Opaque',
        data: { [ref.key]: value },
        dependsOn: [...identity.dependables, ...after, ...store.dependables],
      }),
    ];
  }
}

import { SecretV1 } from '@cdktf/provider-kubernetes/lib/secret-v1';
import { Fn, ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { IPlatformCluster } from '../core/cluster';
import { GRAFANA_ADMIN_KEYS } from './kube-prometheus-values';

/** Options of the Grafana admin credentials. */
export interface GrafanaAdminSecretProps {
  /** The cluster. */
  readonly cluster: IPlatformCluster;
  /** Namespace (must exist). */
  readonly namespace: string;
  /** Secret name. */
  readonly secretName: string;
  /** Admin user name. */
  readonly adminUser: string;
  /** What to wait for besides the cluster's add-on dependencies (the namespace). */
  readonly dependsOn: ITerraformDependable[];
}

/**
 * Grafana's admin credentials as a Kubernetes Secret whose password Terraform generates at apply time
 * (two UUIDs, 244 random bits), so it never appears in the synthesized configuration. Later applies
 * ignore the data, keeping the first password (and any rotation done in the cluster). Read it with
 * `kubectl get secret`; it lives in Terraform state like every Kubernetes secret Terraform manages.
 */
export class GrafanaAdminSecret extends Construct {
  /** The Secret. */
  public readonly secret: SecretV1;

  constructor(scope: Construct, id: string, props: GrafanaAdminSecretProps) {
    super(scope, id);
    this.secret = new SecretV1(this, 'Resource', {
      provider: props.cluster.providers(this).kubernetes,
      metadata: { name: props.secretName, namespace: props.namespace, labels: { 'app.kubernetes.io/part-of': 'ai-platform' } },
      type: 'Opaque',
      data: {
        [GRAFANA_ADMIN_KEYS.user]: props.adminUser,
        [GRAFANA_ADMIN_KEYS.password]: Fn.replace(Fn.join('', [Fn.uuid(), Fn.uuid()]), '-', ''),
      },
      lifecycle: { ignoreChanges: ['data'] },
      dependsOn: [...props.cluster.addonDependencies(this), ...props.dependsOn],
    });
  }
}

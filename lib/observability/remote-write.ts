import { PrometheusWorkspace } from '@cdktf/provider-aws/lib/prometheus-workspace';
import { Fn, Token } from 'cdktf';
import { Construct } from 'constructs';
import { CloudProvider, IPlatformCluster, IWorkloadIdentity } from '../core/cluster';

/** Where the remote-write binding is made. */
export interface RemoteWriteBindOptions {
  /** The cluster Prometheus runs in. */
  readonly cluster: IPlatformCluster;
  /** Namespace of Prometheus. */
  readonly namespace: string;
  /** Prometheus's service account name. */
  readonly serviceAccountName: string;
}

/** What Prometheus needs to write remotely. */
export interface RemoteWriteBinding {
  /** Items for `prometheus.prometheusSpec.remoteWrite`. */
  readonly remoteWrite: { [key: string]: any }[];
  /** The cloud identity Prometheus's service account is bound to. */
  readonly identity: IWorkloadIdentity;
}

/** Options of Amazon Managed Service for Prometheus. */
export interface AmazonManagedPrometheusOptions {
  /**
   * An existing workspace ARN (arn:aws:aps:<region>:<account>:workspace/ws-…).
   * @default - a new workspace is created
   */
  readonly workspaceArn?: string;
  /**
   * Alias of the new workspace.
   * @default - '<clusterName>-metrics'
   */
  readonly alias?: string;
  /**
   * Customer managed KMS key for the new workspace.
   * @default - an AWS owned key
   */
  readonly kmsKeyArn?: string;
}

const AMP_ARN = /^arn:aws[a-z-]*:aps:([a-z0-9-]+):\d{12}:workspace\/(ws-[A-Za-z0-9-]+)$/;

/**
 * A managed Prometheus backend that receives Prometheus's samples. Azure Monitor managed Prometheus is
 * not offered yet: it needs a monitor workspace, data collection rules and the AKS metrics profile, which
 * belong to the AKS cluster construct rather than to an in-cluster add-on.
 */
export abstract class RemoteWrite {
  /**
   * Amazon Managed Service for Prometheus: a workspace (new or given), a Pod Identity role for
   * Prometheus's service account allowed `aps:RemoteWrite` on it, and SigV4-signed remote write.
   */
  public static amazonManagedPrometheus(options: AmazonManagedPrometheusOptions = {}): RemoteWrite {
    return new AmazonManagedPrometheus(options);
  }

  /** Problems with this backend on `cluster`, as `<prop> <value> …; <fix>` messages. */
  public abstract validate(cluster: IPlatformCluster): string[];

  /** Creates the backend's resources under `scope` and returns the Prometheus settings. */
  public abstract bind(scope: Construct, options: RemoteWriteBindOptions): RemoteWriteBinding;
}

class AmazonManagedPrometheus extends RemoteWrite {
  constructor(private readonly options: AmazonManagedPrometheusOptions) { super(); }

  public validate(cluster: IPlatformCluster): string[] {
    const errors: string[] = [];
    if (cluster.cloudProvider !== CloudProvider.AWS) {
      errors.push(`remoteWrite 'amazonManagedPrometheus' does not fit a ${cluster.cloudProvider} cluster; Pod Identity and SigV4 need EKS, leave remoteWrite unset on AKS`);
    }
    const arn = this.options.workspaceArn;
    if (arn !== undefined && !Token.isUnresolved(arn) && !AMP_ARN.test(arn)) {
      errors.push(`remoteWrite.workspaceArn '${arn}' is not an AMP workspace ARN; pass arn:aws:aps:<region>:<account>:workspace/ws-<id>`);
    }
    if (arn !== undefined && (this.options.alias !== undefined || this.options.kmsKeyArn !== undefined)) {
      errors.push(`remoteWrite.alias/kmsKeyArn '${this.options.alias ?? this.options.kmsKeyArn}' only apply to a new workspace; drop them or drop workspaceArn`);
    }
    return errors;
  }

  public bind(scope: Construct, options: RemoteWriteBindOptions): RemoteWriteBinding {
    let arn: string;
    let region: string;
    let url: string;
    const given = this.options.workspaceArn;
    if (given !== undefined && !Token.isUnresolved(given)) {
      const [, r, id] = AMP_ARN.exec(given)!;
      arn = given;
      region = r;
      url = `https://aps-workspaces.${r}.amazonaws.com/workspaces/${id}/api/v1/remote_write`;
    } else if (given !== undefined) {
      arn = given;
      region = Fn.element(Fn.split(':', arn), 3);
      url = Fn.join('', ['https://aps-workspaces.', region, '.amazonaws.com/workspaces/', Fn.element(Fn.split('/', arn), 1), '/api/v1/remote_write']);
    } else {
      const ws = new PrometheusWorkspace(scope, 'Workspace', {
        alias: this.options.alias ?? `${options.cluster.clusterName}-metrics`,
        kmsKeyArn: this.options.kmsKeyArn,
      });
      arn = ws.arn;
      region = Fn.element(Fn.split(':', ws.arn), 3);
      // prometheus_endpoint ends with '/'.
      url = `${ws.prometheusEndpoint}api/v1/remote_write`;
    }
    const identity = options.cluster.bindServiceAccount(scope, 'Identity', { namespace: options.namespace, serviceAccountName: options.serviceAccountName });
    identity.grant({ awsStatements: [{ sid: 'RemoteWrite', actions: ['aps:RemoteWrite'], resources: [arn] }] });
    return {
      identity,
      remoteWrite: [{
        url,
        sigv4: { region },
        // AMP ingests up to 1,000 samples per request well; the larger queue rides out short throttling.
        queueConfig: { maxSamplesPerSend: 1000, maxShards: 200, capacity: 2500 },
      }],
    };
  }
}

import { Construct } from 'constructs';
import { IAcceleratorCluster, IPlatformCluster, IWorkloadIdentity } from './cluster';

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

/**
 * A managed Prometheus backend that receives the in-cluster Prometheus's samples by remote write, with the
 * cloud's workload identity (no keys). Made by `RemoteWrite.amazonManagedPrometheus()` or `RemoteWrite.azureMonitor()`.
 */
export interface IRemoteWrite {
  /** Problems with this backend on `cluster`, as `<prop> <value> …; <fix>` messages. */
  validate(cluster: IAcceleratorCluster): string[];
  /** Creates the backend's resources under `scope` and returns the Prometheus settings. */
  bind(scope: Construct, options: RemoteWriteBindOptions): RemoteWriteBinding;
}

import { amazonManagedPrometheus, azureMonitorPrometheus } from './cloud';
import type { AmazonManagedPrometheusOptions, AzureMonitorPrometheusOptions } from './cloud';
import { IRemoteWrite } from './core/remote-write';

/** Managed Prometheus backends that receive the in-cluster Prometheus's samples by remote write. */
export class RemoteWrite {
  /**
   * Amazon Managed Service for Prometheus: a workspace (new or given), a Pod Identity role for
   * Prometheus's service account allowed `aps:RemoteWrite` on it, and SigV4-signed remote write.
   */
  public static amazonManagedPrometheus(options: AmazonManagedPrometheusOptions = {}): IRemoteWrite {
    return amazonManagedPrometheus(options);
  }

  /**
   * Azure Monitor managed service for Prometheus: an Azure Monitor workspace, a data collection endpoint
   * and rule for Prometheus samples, a federated identity for Prometheus's service account with
   * 'Monitoring Metrics Publisher' on the rule, and Entra-authenticated remote write. Location and resource
   * group default to the cluster's.
   *
   * The in-cluster Prometheus keeps scraping through its own ServiceMonitors and forwards everything, so
   * the AKS metrics add-on (ama-metrics, which reads only `azmonitoring.coreos.com` monitors) is not needed.
   */
  public static azureMonitor(options: AzureMonitorPrometheusOptions = {}): IRemoteWrite {
    return azureMonitorPrometheus(options);
  }

  private constructor() {}
}

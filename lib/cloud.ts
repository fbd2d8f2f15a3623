import { AmazonManagedPrometheus, AmazonManagedPrometheusOptions } from './aws/amazon-managed-prometheus';
import { AwsBackend, AwsCloudOptions } from './aws/aws-backend';
import { EksPlatformCluster } from './aws/eks-cluster';
import { EksClusterImport, ExistingEksOptions } from './aws/existing-eks';
import { AksPlatformCluster } from './azure/aks-cluster';
import { AzureBackend, AzureCloudOptions } from './azure/azure-backend';
import { AzureMonitorPrometheus, AzureMonitorPrometheusOptions } from './azure/azure-monitor-prometheus';
import { AksClusterImport, ExistingAksOptions } from './azure/existing-aks';
import { CloudProvider, ICloudBackend, ICloudCluster, IClusterImport } from './core/cluster';
import { IRemoteWrite } from './core/remote-write';

/**
 * Where a GpuInferenceCluster runs. Cloud-specific options live here, so the cluster's own props mean the
 * same thing on every cloud.
 *
 * ```ts
 * const onEks = Cloud.aws({ endpointAccess: EndpointAccess.publicAndPrivate(['203.0.113.0/24']) });
 * const onAks = Cloud.azure({ location: 'eastus2' });
 * ```
 */
export class Cloud {
  /** Amazon EKS. The AWS provider is configured by the caller. */
  public static aws(options: AwsCloudOptions = {}): Cloud {
    return new Cloud(new AwsBackend(options));
  }

  /** Azure Kubernetes Service. The azurerm provider is configured by the caller. */
  public static azure(options: AzureCloudOptions): Cloud {
    return new Cloud(new AzureBackend(options));
  }

  /** A cloud implemented outside this library. */
  public static custom(backend: ICloudBackend): Cloud {
    return new Cloud(backend);
  }

  /** The implementation. */
  public readonly backend: ICloudBackend;

  private constructor(backend: ICloudBackend) {
    this.backend = backend;
  }

  /** Which cloud. */
  public get provider(): CloudProvider {
    return this.backend.cloudProvider;
  }
}

// The one module that names the clouds' classes. Composites (GpuInferenceCluster, ExistingCluster,
// RemoteWrite) reach a cloud through Cloud and the functions below, never through lib/aws or lib/azure
// (eslint holds that line). lib/index exports Cloud alone from here: the rest is not public API.

/** Types of the clouds that public props and attributes of composites name. */
export type { AksPlatformCluster, AmazonManagedPrometheusOptions, AzureMonitorPrometheusOptions, EksPlatformCluster };
export type { EntraPrincipal } from './azure/data';

/** The cloud half of `ExistingCluster.fromEks`. */
export function importEks(options: ExistingEksOptions): IClusterImport {
  return new EksClusterImport(options);
}

/** The cloud half of `ExistingCluster.fromAks`. */
export function importAks(options: ExistingAksOptions): IClusterImport {
  return new AksClusterImport(options);
}

/** The backend of `RemoteWrite.amazonManagedPrometheus()`. */
export function amazonManagedPrometheus(options: AmazonManagedPrometheusOptions): IRemoteWrite {
  return new AmazonManagedPrometheus(options);
}

/** The backend of `RemoteWrite.azureMonitor()`. */
export function azureMonitorPrometheus(options: AzureMonitorPrometheusOptions): IRemoteWrite {
  return new AzureMonitorPrometheus(options);
}

/** `cluster` with its real type, when a GpuInferenceCluster on AWS built it. */
export function eksClusterOf(cluster: ICloudCluster): EksPlatformCluster | undefined {
  return cluster instanceof EksPlatformCluster ? cluster : undefined;
}

/** `cluster` with its real type, when a GpuInferenceCluster on Azure built it. */
export function aksClusterOf(cluster: ICloudCluster): AksPlatformCluster | undefined {
  return cluster instanceof AksPlatformCluster ? cluster : undefined;
}

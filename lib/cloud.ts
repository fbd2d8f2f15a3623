import { AwsBackend, AwsCloudOptions } from './aws/aws-backend';
import { AzureBackend, AzureCloudOptions } from './azure/azure-backend';
import { CloudProvider, ICloudBackend } from './core/cluster';

/**
 * Where a GpuInferenceCluster runs. Cloud-specific options live here, so the cluster's own props mean the
 * same thing on every cloud.
 *
 * ```ts
 * cloud: Cloud.aws({ endpointAccess: EndpointAccess.publicAndPrivate(['203.0.113.0/24']) })
 * cloud: Cloud.azure({ location: 'eastus2' })
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

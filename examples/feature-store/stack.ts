import { TerraformStack, TerraformVariable } from 'cdktf';
import { ExampleCloud } from '../shared/cloud';
import { Construct } from 'constructs';
import {
  ExistingCluster,
  FeatureStore,
  IPlatformCluster,
  ObservabilityStack,
  OfflineStore,
  OnlineStore,
  PlatformNamespace,
  PodSecurityLevel,
  Registry,
} from '../../lib';

/**
 * What the fraud team does with its feature store, the same on both clouds: an alert on stale features,
 * the model server reading online features, the CI runner applying definitions and backfilling.
 */
function useFeatures(stack: TerraformStack, cluster: IPlatformCluster, observability: ObservabilityStack, features: FeatureStore): void {
  // Feature freshness: no successful materialization within three schedules.
  const stale = features.freshnessAlert();
  if (stale) observability.addAlertRules('Features', 'ai-platform.feast', [stale]);

  // The model server reads online features (HTTP to the feature server, or the SDK).
  const serving = new PlatformNamespace(stack, 'ServingNamespace', {
    cluster,
    name: 'fraud-serving',
    podSecurity: PodSecurityLevel.RESTRICTED,
  });
  const scorer = cluster.bindServiceAccount(stack, 'Scorer', { namespace: 'fraud-serving', serviceAccountName: 'fraud-scorer' });
  features.grantRead(scorer, serving.dependables);

  // The team's CI runner applies definitions and backfills.
  const ci = new PlatformNamespace(stack, 'CiNamespace', { cluster, name: 'fraud-ci', podSecurity: PodSecurityLevel.RESTRICTED });
  const pipeline = cluster.bindServiceAccount(stack, 'Pipeline', { namespace: 'fraud-ci', serviceAccountName: 'fraud-pipeline' });
  features.grantWrite(pipeline, ci.dependables);
}

/**
 * A fraud team's feature store on an existing EKS cluster: online features in DynamoDB (keyless through
 * Pod Identity), parquet in S3 read by Feast's file engine, the SQL registry on RDS (IAM logins), the
 * feature server scaled by KEDA on CPU, materialization every 15 minutes. The model server may read; the
 * team's CI runner (a pod in the cluster) may `feast apply`.
 *
 * The registry database and the offline bucket live in `feature-store-aws-data`, deployed first, so
 * `cdktf destroy feature-store-aws` removes the feature server and its grants and keeps the data.
 *
 * Deploy: `TF_VAR_cluster_name=<eks cluster> TF_VAR_private_subnet_ids='["subnet-a","subnet-b"]'
 * TF_VAR_feast_image=<registry>/feast-aws:0.66.0 cdktf deploy feature-store-aws-data feature-store-aws`.
 */
export class FeatureStoreAwsStack extends TerraformStack {
  /** The registry database and offline store, which outlive the feature server. */
  public readonly dataStack: TerraformStack;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    const aws = ExampleCloud.aws('us-east-2');
    aws.setUp(this);
    this.dataStack = aws.dataStack(scope, id);
    // What the data stack's resources are named and placed after is declared there (it never reads this stack).
    const clusterName = new TerraformVariable(this.dataStack, 'cluster_name', {
      type: 'string',
      description: 'Name of the existing EKS cluster (the runner must reach its API and hold cluster admin)',
    });
    const privateSubnets = new TerraformVariable(this.dataStack, 'private_subnet_ids', {
      type: 'list(string)',
      description: "Private subnets (two zones or more) of the cluster's VPC, for the registry database",
    });
    // FROM quay.io/feastdev/feature-server:0.66.0 + pip install s3fs (Feast's file engine reads s3:// with it)
    const feastImage = new TerraformVariable(this, 'feast_image', {
      type: 'string',
      description: 'Feast 0.66.0 image with s3fs, pinned (tag or digest)',
    });

    const cluster = ExistingCluster.fromEks(this, 'Shared', {
      clusterName: clusterName.stringValue,
      privateSubnetIds: privateSubnets.listValue,
      dataStack: this.dataStack,
      acceleratorPools: [],
    });
    const observability = new ObservabilityStack(this, 'Observability', { cluster });

    const features = new FeatureStore(this, 'Features', {
      cluster,
      project: 'fraud',
      onlineStore: OnlineStore.dynamoDb(),
      offlineStore: OfflineStore.objectStore(),
      image: feastImage.stringValue,
      registry: Registry.sql(),
      materialization: { schedule: '*/15 * * * *' },
      server: { replicas: 2, maxReplicas: 6 },
      prometheusUrl: observability.prometheusUrl,
      outputs: true,
    });
    useFeatures(this, cluster, observability, features);
  }
}

/**
 * The same feature store on an existing AKS cluster: Azure Managed Redis online (access key in a Kubernetes
 * secret, passed to Feast as an environment variable), parquet in a private storage container, the SQL
 * registry on PostgreSQL Flexible Server (Entra logins). The Feast image must add Azure Blob support.
 *
 * The stores live in `feature-store-azure-data`, deployed first, so `cdktf destroy feature-store-azure`
 * removes the feature server and its grants and keeps the data.
 *
 * Deploy: `TF_VAR_cluster_name=<aks cluster> TF_VAR_resource_group=<rg> TF_VAR_private_endpoint_subnet_id=<subnet id>
 * TF_VAR_feast_image=<registry>/feast-azure:0.66.0 cdktf deploy feature-store-azure-data feature-store-azure`.
 */
export class FeatureStoreAzureStack extends TerraformStack {
  /** The stores, which outlive the feature server. */
  public readonly dataStack: TerraformStack;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    // Private, Entra-only storage accounts: azurerm must not read them through the data plane.
    const azure = ExampleCloud.azure();
    azure.setUp(this);
    this.dataStack = azure.dataStack(scope, id);
    const variable = (stack: TerraformStack, name: string, description: string) =>
      new TerraformVariable(stack, name, { type: 'string', description }).stringValue;
    // What the data stack's resources are named and placed after is declared there (it never reads this stack).
    const clusterName = variable(this.dataStack, 'cluster_name', 'Name of the existing AKS cluster (OIDC issuer and workload identity on)');
    const resourceGroup = variable(this.dataStack, 'resource_group', 'Resource group of the cluster');
    const endpointSubnet = variable(
      this.dataStack,
      'private_endpoint_subnet_id',
      "Subnet for the stores' private endpoints, in the nodes' VNet",
    );
    // FROM quay.io/feastdev/feature-server:0.66.0 + pip install 'feast[azure]==0.66.0' adlfs
    const feastImage = variable(this, 'feast_image', 'Feast 0.66.0 image with feast[azure] and adlfs, pinned (tag or digest)');

    const cluster = ExistingCluster.fromAks(this, 'Shared', {
      clusterName,
      resourceGroupName: resourceGroup,
      privateEndpointSubnetId: endpointSubnet,
      storageClassName: 'managed-csi-premium',
      dataStack: this.dataStack,
      acceleratorPools: [],
    });
    const observability = new ObservabilityStack(this, 'Observability', { cluster });

    const features = new FeatureStore(this, 'Features', {
      cluster,
      project: 'fraud',
      onlineStore: OnlineStore.managedRedis(),
      offlineStore: OfflineStore.objectStore(),
      registry: Registry.sql(),
      materialization: { schedule: '*/15 * * * *' },
      image: feastImage,
      prometheusUrl: observability.prometheusUrl,
      outputs: true,
    });
    useFeatures(this, cluster, observability, features);
  }
}

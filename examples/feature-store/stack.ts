import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { AzurermProvider } from '@cdktf/provider-azurerm/lib/provider';
import { LocalBackend, TerraformStack, TerraformVariable } from 'cdktf';
import { Construct } from 'constructs';
import {
  ExistingCluster,
  FeatureStore,
  ObservabilityStack,
  OfflineStore,
  OnlineStore,
  PlatformNamespace,
  PodSecurityLevel,
  Registry,
} from '../../lib';

/**
 * A fraud team's feature store on an existing EKS cluster: online features in DynamoDB (keyless through
 * Pod Identity), parquet in S3 read by Feast's file engine, the SQL registry on RDS (IAM logins), the
 * feature server scaled by KEDA on CPU, materialization every 15 minutes. The model server may read; the
 * team's CI runner (a pod in the cluster) may `feast apply`.
 *
 * Deploy: `cdktf deploy feature-store-aws --var cluster_name=<eks cluster> --var 'private_subnet_ids=["subnet-a","subnet-b"]' --var feast_image=<registry>/feast-aws:0.66.0`.
 */
export class FeatureStoreAwsStack extends TerraformStack {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    new LocalBackend(this, { path: `${id}.tfstate` });
    new AwsProvider(this, 'aws', { region: 'us-east-2' });
    const clusterName = new TerraformVariable(this, 'cluster_name', {
      type: 'string',
      description: 'Name of the existing EKS cluster (the runner must reach its API and hold cluster admin)',
    });
    const privateSubnets = new TerraformVariable(this, 'private_subnet_ids', {
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
    // Feature freshness: no successful materialization within three schedules.
    const stale = features.freshnessAlert();
    if (stale) observability.addAlertRules('Features', 'ai-platform.feast', [stale]);

    // The model server reads online features (HTTP to the feature server, or the SDK).
    const serving = new PlatformNamespace(this, 'ServingNamespace', {
      cluster,
      name: 'fraud-serving',
      podSecurity: PodSecurityLevel.RESTRICTED,
    });
    const scorer = cluster.bindServiceAccount(this, 'Scorer', { namespace: 'fraud-serving', serviceAccountName: 'fraud-scorer' });
    features.grantRead(scorer, serving.dependables);

    // The team's CI runner applies definitions and backfills.
    const ci = new PlatformNamespace(this, 'CiNamespace', { cluster, name: 'fraud-ci', podSecurity: PodSecurityLevel.RESTRICTED });
    const pipeline = cluster.bindServiceAccount(this, 'Pipeline', { namespace: 'fraud-ci', serviceAccountName: 'fraud-pipeline' });
    features.grantWrite(pipeline, ci.dependables);
  }
}

/**
 * The same feature store on an existing AKS cluster: Azure Managed Redis online (access key in a Kubernetes
 * secret, passed to Feast as an environment variable), parquet in a private storage container, the SQL
 * registry on PostgreSQL Flexible Server (Entra logins). The Feast image must add Azure Blob support.
 *
 * Deploy: `cdktf deploy feature-store-azure --var cluster_name=<aks cluster> --var resource_group=<rg>
 * --var private_endpoint_subnet_id=<subnet id> --var feast_image=<registry>/feast-azure:0.66.0`.
 */
export class FeatureStoreAzureStack extends TerraformStack {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    new LocalBackend(this, { path: `${id}.tfstate` });
    // Private, Entra-only storage accounts: azurerm must not read them through the data plane.
    new AzurermProvider(this, 'azurerm', { features: [{ storage: [{ dataPlaneAvailable: false }] }] });
    const variable = (name: string, description: string) => new TerraformVariable(this, name, { type: 'string', description }).stringValue;
    const clusterName = variable('cluster_name', 'Name of the existing AKS cluster (OIDC issuer and workload identity on)');
    const resourceGroup = variable('resource_group', 'Resource group of the cluster');
    const endpointSubnet = variable('private_endpoint_subnet_id', "Subnet for the stores' private endpoints, in the nodes' VNet");
    // FROM quay.io/feastdev/feature-server:0.66.0 + pip install 'feast[azure]==0.66.0' adlfs
    const feastImage = variable('feast_image', 'Feast 0.66.0 image with feast[azure] and adlfs, pinned (tag or digest)');

    const cluster = ExistingCluster.fromAks(this, 'Shared', {
      clusterName,
      resourceGroupName: resourceGroup,
      privateEndpointSubnetId: endpointSubnet,
      storageClassName: 'managed-csi-premium',
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
    // Feature freshness: no successful materialization within three schedules.
    const stale = features.freshnessAlert();
    if (stale) observability.addAlertRules('Features', 'ai-platform.feast', [stale]);

    const serving = new PlatformNamespace(this, 'ServingNamespace', {
      cluster,
      name: 'fraud-serving',
      podSecurity: PodSecurityLevel.RESTRICTED,
    });
    const scorer = cluster.bindServiceAccount(this, 'Scorer', { namespace: 'fraud-serving', serviceAccountName: 'fraud-scorer' });
    features.grantRead(scorer, serving.dependables);

    const ci = new PlatformNamespace(this, 'CiNamespace', { cluster, name: 'fraud-ci', podSecurity: PodSecurityLevel.RESTRICTED });
    const pipeline = cluster.bindServiceAccount(this, 'Pipeline', { namespace: 'fraud-ci', serviceAccountName: 'fraud-pipeline' });
    features.grantWrite(pipeline, ci.dependables);
  }
}

// The public API, listed on purpose: everything a user builds with or receives from a construct.
// Helpers (values builders, validators, YAML rendering, provider wiring) stay internal to their modules.

// GPU domain: catalog, MIG, time-slicing, memory planning (no cdktf).
export { AcceleratorKind, Gpu, MigProfile } from './gpu/accelerator';
export type { InstanceOffering, MigProfileProps } from './gpu/accelerator';
export { GpuDomainError } from './gpu/errors';
export { LlmModel, MemoryPlan, Precision } from './gpu/memory-planner';
export type { MemoryPlanProps, ModelArchitectureProps } from './gpu/memory-planner';
export { MigLayout, MigLayoutKind } from './gpu/mig-layout';
export type { MigPartedDevice, MigSliceCount } from './gpu/mig-layout';
export { renderMigPartedConfig } from './gpu/mig-parted-config';
export type { MigPartedConfigEntry } from './gpu/mig-parted-config';
export { MAX_TIME_SLICING_REPLICAS, MIN_TIME_SLICING_REPLICAS, renderTimeSlicingConfig } from './gpu/time-slicing';

// Cluster contract and cloud-neutral pools.
export { CloudProvider } from './core/cluster';
export type {
  AcceleratorPoolInfo,
  ClusterNetwork,
  ClusterProviders,
  ClusterSpec,
  CredentialEndpoint,
  IAcceleratorCluster,
  ICloudBackend,
  ICloudCluster,
  IClusterInstallTarget,
  IPlatformCluster,
  IWorkloadIdentity,
  PodToleration,
  ServiceAccountBindingOptions,
} from './core/cluster';
export { PlatformClusterBase } from './core/platform-cluster-base';
export type { ExistingPoolProps } from './core/existing-pool';
export { Duration } from './core/duration';
export { KubernetesVersion } from './core/kubernetes-version';
export { CapacityReservation, CapacityReservationKind } from './core/capacity-reservation';
export type { AzureCapacityReservationGroupOptions, Ec2CapacityReservationOptions } from './core/capacity-reservation';
export { GpuNodePool, NodePoolRole, PlatformLabels, TaintEffect } from './core/node-pool';
export { PoolMarket, PoolPricing } from './core/pool-pricing';
export type { PoolPriceOptions } from './core/pool-pricing';
export { CostMetrics } from './cost/cost-metrics';
export { PLATFORM_REPORT_JSON, PLATFORM_REPORT_MARKDOWN, PlatformReport } from './cost/platform-report';
export { HOURS_PER_MONTH, PriceCatalog } from './cost/price-catalog';
export type { ListPrice } from './cost/price-catalog';
export type { ReportedModel, ReportedQuota, ReportedTenant } from './cost/report';
export type {
  ExtendedResource,
  InferencePoolOptions,
  NeuronPoolOptions,
  NodePoolBaseOptions,
  NodeTaint,
  TrainingPoolOptions,
} from './core/node-pool';
export { Cloud } from './cloud';
export { GpuInferenceCluster, TODAY_CONTEXT_KEY } from './gpu-inference-cluster';
export type { GpuInferenceClusterProps } from './gpu-inference-cluster';
export { ExistingCluster } from './existing-cluster';
export type { ExistingAksClusterProps, ExistingClusterBaseProps, ExistingEksClusterProps } from './existing-cluster';

// Data services: object store, PostgreSQL with pgvector, key-value cache, on either cloud.
export { RemovalPolicy } from './core/data-services';
export type {
  IDataServices,
  IKeyValueCache,
  IObjectStore,
  IPostgresDatabase,
  KeyValueCacheOptions,
  KeyValueCacheProps,
  KubernetesSecretKeyRef,
  ObjectStoreOptions,
  ObjectStoreProps,
  PostgresDatabaseProps,
  PostgresOptions,
  ServiceLogin,
} from './core/data-services';
export { KeyValueCache, ObjectStore, PostgresDatabase } from './data-services';
export type {
  IObjectEventQueue,
  ISharedFileSystem,
  KedaTriggerSpec,
  ObjectEventsOptions,
  SharedFileSystemOptions,
} from './core/data-services';

// RAG: served models sized at synth, vLLM + router, KEDA, vector stores, documents.
export { EmbeddingModel, RerankerModel } from './rag/models';
export { ModelTask, ServedModel } from './rag/served-model';
export type { ServedModelOptions } from './rag/served-model';
export type { ServingPlan, ServingPlanResult, ServingToleration } from './rag/serving-plan';
export { ModelServer } from './rag/model-server';
export type { ModelCacheMount, ModelServerProps } from './rag/model-server';
export { ModelStagingJob } from './rag/model-staging';
export type { ModelStagingJobProps } from './rag/model-staging';
export { ModelRouter } from './rag/model-router';
export type { ModelRouterProps } from './rag/model-router';
export type { ExposedPort, IVectorStoreBinding, RagContext } from './rag/types';
export { VectorStore } from './rag/vector-store';
export type { InClusterVectorStoreOptions, PgvectorOptions } from './rag/vector-store';
export { VectorStoreCharts } from './rag/charts';
export { RagStack } from './rag-stack';
export type { RagAutoscalingOptions, RagDocumentsOptions, RagStackProps } from './rag-stack';
export type { IngestionOptions } from './rag/ingestion';

// Building blocks for add-ons.
export { Charts, HelmAddon } from './addons/chart';
export type { ChartOverrides, ChartRef, HelmAddonProps } from './addons/chart';
export { PlatformNamespace, PodSecurityLevel } from './addons/namespace';
export type { OpenPort, PlatformNamespaceProps } from './addons/namespace';
export type { EgressRule } from './addons/egress';
export { GpuOperator } from './addons/gpu-operator/gpu-operator';
export type { GpuOperatorProps } from './addons/gpu-operator/gpu-operator';
export { PlatformPriorityClasses } from './addons/priority-classes';
export { Keda } from './addons/keda';
export type { KedaProps } from './addons/keda';
export { InferenceGateway } from './addons/inference-gateway/inference-gateway';
export type { InferenceGatewayProps } from './addons/inference-gateway/inference-gateway';
export type { GatewayJwtOptions } from './rag/gateway-routes';
export { GatewayCharts } from './addons/inference-gateway/charts';
export { CertManagerIssuerKind, GatewayCertificate } from './addons/inference-gateway/certificate';
export type { CertManagerIssuerOptions } from './addons/inference-gateway/certificate';
export { ManifestsRelease } from './addons/manifests';
export type { ManifestsReleaseProps } from './addons/manifests';
export type { PlatformPriorityClassesProps } from './addons/priority-classes';

// AWS (EKS): options, and the cluster with its real types.
export { AmazonManagedPrometheus } from './aws/amazon-managed-prometheus';
export type { AmazonManagedPrometheusOptions } from './aws/amazon-managed-prometheus';
export type { AwsCloudOptions, ExistingVpc } from './aws/aws-backend';
export { AwsDataServices, EfsSharedFileSystem } from './aws/data';
export type { AwsDataServicesProps, EfsSharedFileSystemProps } from './aws/data';
export { ExistingEksCloudCluster } from './aws/existing-eks';
export type { ExistingEksCloudClusterProps } from './aws/existing-eks';
export { EksClusterAutoscaler } from './aws/cluster-autoscaler';
export type { EksClusterAutoscalerProps } from './aws/cluster-autoscaler';
export { EksPlatformCluster } from './aws/eks-cluster';
export type { EksPlatformClusterProps } from './aws/eks-cluster';
export { EndpointAccess } from './aws/endpoint-access';
export { GpuProvisioner } from './aws/karpenter/gpu-provisioner';
export type { KarpenterProvisionerOptions } from './aws/karpenter/gpu-provisioner';
export { KarpenterCloudResources } from './aws/karpenter/karpenter-cloud';
export type { KarpenterCloudResourcesProps } from './aws/karpenter/karpenter-cloud';
export { KarpenterInterruptionQueue } from './aws/karpenter/interruption-queue';
export type { KarpenterInterruptionQueueProps } from './aws/karpenter/interruption-queue';
export { AwsNetwork } from './aws/network';
export type { AwsNetworkProps } from './aws/network';
export { NeuronDevicePlugin } from './aws/neuron';
export type { NeuronDevicePluginProps } from './aws/neuron';
export { EksAmiType, EksNodeGroupPool } from './aws/node-group';
export type { EksNodeGroupPoolProps } from './aws/node-group';
export { PodIdentityBinding } from './aws/pod-identity';
export { VpcFlowLogs } from './aws/vpc-flow-logs';
export type { VpcFlowLogsProps } from './aws/vpc-flow-logs';
export type { PodIdentityBindingProps, PolicyCondition, PolicyStatement } from './aws/pod-identity';

// Azure (AKS): options, and the cluster with its real types.
export { AksPlatformCluster } from './azure/aks-cluster';
export type { AksPlatformClusterProps } from './azure/aks-cluster';
export type { AzureCloudOptions } from './azure/azure-backend';
export type { AksSecurityOptions } from './azure/aks-security';
export { AzureMonitorPrometheus } from './azure/azure-monitor-prometheus';
export type { AzureMonitorPrometheusOptions } from './azure/azure-monitor-prometheus';
export { AzureDataServices, AzureFilesSharedFileSystem } from './azure/data';
export type { AzureDataServicesProps, EntraPrincipal } from './azure/data';
export { ExistingAksCloudCluster } from './azure/existing-aks';
export type { ExistingAksCloudClusterProps } from './azure/existing-aks';
export { AzureNetwork } from './azure/network';
export { AzureProviderDefaults } from './azure/provider-defaults';
export { RetainedVolumeAccess } from './azure/retained-volumes';
export type { IRetainedVolumeAccess, PrincipalCheck, RetainedVolumeAccessProps } from './azure/retained-volumes';
export type { AzureNetworkProps } from './azure/network';
export { FederatedWorkloadIdentity } from './azure/workload-identity';
export type { FederatedWorkloadIdentityProps } from './azure/workload-identity';

// Observability.
export type { AlertRule, AlertThresholds } from './observability/alerts';
export { ObservabilityCharts } from './observability/charts';
export { DcgmExporterKind, DcgmExporterSource } from './observability/dcgm';
export { GrafanaAdminSecret } from './observability/grafana-admin';
export type { GrafanaAdminSecretProps } from './observability/grafana-admin';
export {
  ClusterMetrics,
  DcgmMetrics,
  GatewayMetrics,
  MetricCatalog,
  MetricSource,
  MetricType,
  NeuronMetrics,
  VllmMetrics,
} from './observability/metrics';
export type { MetricDefinition } from './observability/metrics';
export { NeuronMonitor } from './observability/neuron-monitor';
export type { NeuronMonitorProps } from './observability/neuron-monitor';
export { RemoteWrite } from './remote-write';
export type { IRemoteWrite, RemoteWriteBinding, RemoteWriteBindOptions } from './core/remote-write';
export { ServingMetricsLabels } from './observability/scrape';
export type { TracingOptions } from './observability/tracing';
export { ObservabilityStack } from './observability-stack';
export type { GrafanaOptions, ObservabilityStackProps } from './observability-stack';

// Feature store (Feast).
export { FeastCharts } from './feast/charts';
export { FeastAccess } from './feast/feature-store-yaml';
export type { FeastEnvVar, FeastPostgresLogin, FeastStoreGrant } from './feast/feature-store-yaml';
export type { FeastContext, FeastStoreCheck, IFeastStoreBinding, IOfflineStoreBinding } from './feast/stores';
export type {
  FeastEnvValue,
  FeastObjectStoreLocation,
  FeastOnlineTablesOptions,
  FeastPodIdentity,
  IFeastBackend,
  IFeastOnlineTables,
} from './core/feast-backend';
export { OnlineStore } from './feast/online-store';
export { dynamoDbActions } from './aws/data/feast';
export type { DynamoDbOnlineStoreOptions, ManagedRedisOnlineStoreOptions, PostgresOnlineStoreOptions } from './feast/online-store';
export { OfflineStore } from './feast/offline-store';
export type { ObjectStoreOfflineStoreOptions } from './feast/offline-store';
export { Registry } from './feast/registry';
export type { ObjectStoreRegistryOptions, SqlRegistryOptions } from './feast/registry';
export { FeatureServer, featureServerPodMonitor } from './feast/feature-server';
export type { FeatureServerProps } from './feast/feature-server';
export type { FeatureServerOptions, ResolvedServerOptions } from './feast/feature-server-options';
export { Materialization, RegistryInit } from './feast/materialization';
export type { MaterializationOptions, MaterializationProps, RegistryInitProps } from './feast/materialization';
export type { FeastIdentityConfig } from './feast/workload';
export { FeatureStore } from './feature-store';
export type { FeatureStoreAccess, FeatureStoreProps } from './feature-store';

// Multi-tenant GPU sharing (Kueue).
export { TenancyCharts, TenancyLabels } from './tenancy/charts';
export { GpuQuota } from './tenancy/quota';
export type { GpuBudget } from './tenancy/budget';
export type { GpuQuotaOptions } from './tenancy/quota';
export type { KueueFlavor, KueueFlavorResource, ResolvedQuota } from './tenancy/flavors';
export { GpuSharing } from './tenancy/kueue';
export type { GpuSharingProps, TenantQuotaRecord } from './tenancy/kueue';
export { Tenant } from './tenancy/tenant';
export type { TenantProps } from './tenancy/tenant';
export { TenantNamespace } from './tenancy/namespace';
export type { TenantNamespaceProps } from './tenancy/namespace';
export { TENANT_ADMIN_RULES, TenantGuardrails } from './tenancy/guardrails';
export type { TenantGuardrailsProps, TenantRule } from './tenancy/guardrails';
export { NamespaceAdmin } from './tenancy/access';
export type { NamespaceAdminProps } from './tenancy/access';
export type { NamespaceAdminGrant, NamespaceAdminOptions } from './core/cluster';
export { KueueMetrics, TENANCY_DASHBOARD_UID, kueueMetricInfos, tenancyDashboard, tenancyDashboardJson } from './tenancy/dashboard';
export type { KueueMetricInfo } from './tenancy/dashboard';
export { KueueScrapeAccess, KUEUE_SCRAPER, kueuePodMonitor } from './tenancy/monitoring';
export type { KueueScrapeAccessProps } from './tenancy/monitoring';
export { EksNamespaceAdmin } from './aws/namespace-admin';
export type { EksNamespaceAdminProps } from './aws/namespace-admin';
export { AksNamespaceAdmin } from './azure/namespace-admin';
export type { AksNamespaceAdminProps } from './azure/namespace-admin';

// Security checks users run at synth (a cdktf Aspect), with suppressions that carry a reason.
export { PlatformSecurityChecks } from './policy/security-checks';
export { SecurityRuleLevel } from './policy/rule';
export type { SecurityRuleInfo } from './policy/rule';
export { SecuritySuppressions } from './policy/suppressions';
export type { SecuritySuppression } from './policy/suppressions';

import { Testing } from 'cdktf';
import { ObservabilityStack } from '../../lib/observability-stack';
import { KPS_CRD_UPGRADE_BUSYBOX_TAG } from '../../lib/observability/kube-prometheus-values';
import { RemoteWrite } from '../../lib/remote-write';
import { Cloud, EndpointAccess, Gpu, GpuInferenceCluster, GpuNodePool, MigLayout } from '../../lib';
import { awsStack, azureStack, resourceNamed, resources, synthJson } from '../helpers';

function aks() {
  const stack = azureStack();
  const cluster = new GpuInferenceCluster(stack, 'Gpu', {
    // An API Terraform can reach while it creates the VNet (a private one cannot be, see test/deploy).
    cloud: Cloud.azure({ location: 'eastus2', authorizedIpRanges: ['198.51.100.7/32'] }),
    clusterName: 'ai-az',
    nodePools: [
      GpuNodePool.inference('llm', { gpu: Gpu.A100_80GB, mig: MigLayout.uniform('1g.10gb'), maxNodes: 4 }),
      GpuNodePool.inference('small', { gpu: Gpu.T4, timeSlicing: 4, maxNodes: 6 }),
    ],
  });
  return { stack, cluster };
}

describe('ObservabilityStack on an AKS GpuInferenceCluster', () => {
  test('works unchanged: same releases, system-pool tolerations, the cluster storage class', () => {
    const { stack, cluster } = aks();
    new ObservabilityStack(stack, 'Obs', { cluster });
    const doc = JSON.parse(Testing.synth(stack, true));
    const values: string = resourceNamed(doc, 'helm_release', 'KubePrometheusStack').values[0];
    expect(values).toContain(`storageClassName: ${cluster.storageClassName}`);
    for (const t of cluster.systemTolerations) expect(values).toContain(`key: ${t.key}`);
    // GPU fleet, MIG, LLM serving and GPU cost.
    expect(Object.keys(resources(doc, 'kubernetes_config_map_v1')).filter((n) => n.includes('Dashboard'))).toHaveLength(4);
    expect(resources(doc, 'kubernetes_manifest')).toEqual({});
  });

  test('the prometheus-operator CRDs are upgraded by the chart hook Job, on the tainted system pool', () => {
    const { stack, cluster } = aks();
    const obs = new ObservabilityStack(stack, 'Obs', { cluster });
    const doc = JSON.parse(Testing.synth(stack, true));
    const values: string = resourceNamed(doc, 'helm_release', 'KubePrometheusStack').values[0];
    expect(values).toMatch(/^crds:\n {2}upgradeJob:\n {4}enabled: true\n/m);
    const job = obs.kubePrometheusStack.values.crds.upgradeJob;
    expect(job).toEqual({
      enabled: true,
      image: { busybox: { tag: KPS_CRD_UPGRADE_BUSYBOX_TAG } },
      nodeSelector: cluster.systemNodeSelector,
      tolerations: [{ key: 'CriticalAddonsOnly', operator: 'Exists' }],
    });
    // The same placement as the operator, whose admission-webhook hook Jobs already run there.
    expect(job.nodeSelector).toEqual(obs.kubePrometheusStack.values.prometheusOperator.nodeSelector);
    expect(job.tolerations).toEqual(obs.kubePrometheusStack.values.prometheusOperator.admissionWebhooks.patch.tolerations);
    // The chart names the CRD ConfigMap after the ServiceAccount but mounts it by the Job's name: a custom
    // ServiceAccount name would leave the Job without its CRDs. The chart's forceConflicts (true) stays.
    expect(job.serviceAccount).toBeUndefined();
    expect(job.forceConflicts).toBeUndefined();
  });

  test('Amazon Managed Prometheus is refused on AKS', () => {
    const { stack, cluster } = aks();
    new ObservabilityStack(stack, 'Obs', { cluster, remoteWrite: RemoteWrite.amazonManagedPrometheus() });
    expect(() => synthJson(stack)).toThrow(
      /^test\/Obs: remoteWrite 'amazonManagedPrometheus' does not fit a cluster on azure; Pod Identity and SigV4 need EKS/m,
    );
  });

  test('Azure Monitor managed Prometheus: workspace, DCE + DCR, federated identity with Monitoring Metrics Publisher, Entra remote write', () => {
    const { stack, cluster } = aks();
    new ObservabilityStack(stack, 'Obs', {
      cluster,
      remoteWrite: RemoteWrite.azureMonitor({ location: 'eastus2', resourceGroupName: 'ai-az-rg' }),
    });
    const doc = JSON.parse(Testing.synth(stack, true));
    expect(Object.values(resources(doc, 'azurerm_monitor_workspace'))[0]).toMatchObject({
      name: 'ai-az-metrics',
      location: 'eastus2',
      lifecycle: { prevent_destroy: true },
    });
    const rule = Object.values(resources(doc, 'azurerm_monitor_data_collection_rule'))[0];
    expect(rule.data_flow).toEqual([{ streams: ['Microsoft-PrometheusMetrics'], destinations: ['workspace'] }]);
    expect(rule.destinations.monitor_account[0].monitor_account_id).toMatch(/azurerm_monitor_workspace\./);
    const cred = Object.values(resources(doc, 'azurerm_federated_identity_credential'))[0];
    expect(cred.subject).toBe('system:serviceaccount:monitoring:prometheus');
    expect(Object.values(resources(doc, 'azurerm_role_assignment'))).toContainEqual(
      expect.objectContaining({
        role_definition_name: 'Monitoring Metrics Publisher',
        scope: expect.stringMatching(/azurerm_monitor_data_collection_rule\..*\.id/),
      }),
    );
    const kps = resourceNamed(doc, 'helm_release', 'KubePrometheusStack');
    const values: string = kps.values[0];
    expect(values).toMatch(
      /url: '\$\{azurerm_monitor_data_collection_endpoint\..*\.metrics_ingestion_endpoint\}\/dataCollectionRules\/\$\{azurerm_monitor_data_collection_rule\..*\.immutable_id\}\/streams\/Microsoft-PrometheusMetrics\/api\/v1\/write\?api-version=2023-04-24'/,
    );
    // Workload identity explicitly: the SDK chain could fall back to the node's managed identity.
    expect(values).toMatch(
      /azureAd:\n\s+cloud: AzurePublic\n\s+workloadIdentity:\n\s+clientId: '\$\{azurerm_user_assigned_identity\..*\.client_id\}'\n\s+tenantId: '\$\{data\.azurerm_client_config\..*\.tenant_id\}'\n/,
    );
    expect(values).not.toMatch(/^\s+sdk:/m);
    expect(values).toContain('azure.workload.identity/use: "true"');
    expect(values).toContain('azure.workload.identity/client-id:');
    expect(kps.depends_on).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/azurerm_federated_identity_credential/),
        expect.stringMatching(/azurerm_role_assignment/),
      ]),
    );
  });

  test('Azure Monitor inputs are checked', () => {
    const { stack, cluster } = aks();
    new ObservabilityStack(stack, 'Obs', {
      cluster,
      remoteWrite: RemoteWrite.azureMonitor({ location: 'East US', resourceGroupName: 'rg', workspaceName: '-x' }),
    });
    expect(() => synthJson(stack)).toThrow(
      /^test\/Obs: remoteWrite\.location 'East US' is not an Azure region name[\s\S]*\ntest\/Obs: remoteWrite\.workspaceName '-x' is not a valid Azure Monitor workspace name/m,
    );
  });
});

test('Azure Monitor does not fit an EKS cluster', () => {
  const stack = awsStack();
  const cluster = new GpuInferenceCluster(stack, 'Gpu', {
    cloud: Cloud.aws({ endpointAccess: EndpointAccess.publicAndPrivate(['198.51.100.7/32']) }),
    clusterName: 'e',
    nodePools: [GpuNodePool.inference('a', { gpu: Gpu.T4, maxNodes: 1 })],
  });
  new ObservabilityStack(stack, 'Obs', {
    cluster,
    remoteWrite: RemoteWrite.azureMonitor({ location: 'eastus2', resourceGroupName: 'rg' }),
  });
  expect(() => synthJson(stack)).toThrow(
    /^test\/Obs: remoteWrite 'azureMonitor' does not fit a cluster on aws; workload identity federation to Entra ID needs AKS/m,
  );
});

import { KubernetesCluster } from '@cdktf/provider-azurerm/lib/kubernetes-cluster';
import { KubernetesClusterNodePool } from '@cdktf/provider-azurerm/lib/kubernetes-cluster-node-pool';
import { TerraformStack, Testing } from 'cdktf';
import { Construct } from 'constructs';
import {
  AzureCloudOptions,
  Cloud,
  Gpu,
  GpuInferenceCluster,
  GpuInferenceClusterProps,
  GpuNodePool,
  FederatedWorkloadIdentity,
  MigLayout,
} from '../../lib';
import { AKS_ENTRA_SERVER_ID } from '../../lib/azure/kubelogin';
import { azureStack, problemLines, resourceNamed, resources, synthJson } from '../helpers';

/** A subnet in a VNet the deployer's runner lives in: the private API is reachable in the same apply. */
const RUNNER_SUBNET = '/subscriptions/0000/resourceGroups/net/providers/Microsoft.Network/virtualNetworks/runners/subnets/aks';
/** An API Terraform can reach while it creates the VNet (a private one cannot be, see test/deploy). */
const REACHABLE = ['198.51.100.7/32'];

describe('GpuInferenceCluster on Azure', () => {
  const stack = azureStack();
  const cluster = new GpuInferenceCluster(stack, 'Gpu', {
    cloud: Cloud.azure({ location: 'eastus2', existingSubnetId: RUNNER_SUBNET }),
    clusterName: 'ai-az',
    nodePools: [
      GpuNodePool.inference('llm', { gpu: Gpu.A100_80GB, mig: MigLayout.uniform('1g.10gb'), maxNodes: 4 }),
      GpuNodePool.inference('nvl', { gpu: Gpu.H100_NVL_94GB, mig: MigLayout.uniform('1g.24gb'), maxNodes: 2 }),
      GpuNodePool.inference('small', { gpu: Gpu.T4, timeSlicing: 4, maxNodes: 6 }),
      GpuNodePool.training('train', { gpu: Gpu.A100_80GB, spot: true, maxNodes: 8 }),
    ],
  });
  const identity = cluster.bindServiceAccount(new Construct(stack, 'Workload'), 'reader', { namespace: 'rag', serviceAccountName: 'api' });
  (identity as FederatedWorkloadIdentity).assignRole('/subscriptions/0000/resourceGroups/data', 'Storage Blob Data Reader');
  const synthesized = Testing.synth(stack, true);
  const doc = JSON.parse(synthesized);

  test('secure control plane: private, Entra ID + Azure RBAC, no local accounts, workload identity, policy, secrets provider', () => {
    expect(synthesized).toHaveResourceWithProperties(KubernetesCluster, {
      private_cluster_enabled: true,
      local_account_disabled: true,
      oidc_issuer_enabled: true,
      workload_identity_enabled: true,
      azure_policy_enabled: true,
      automatic_upgrade_channel: 'patch',
      azure_active_directory_role_based_access_control: expect.objectContaining({ azure_rbac_enabled: true }),
      key_vault_secrets_provider: expect.objectContaining({ secret_rotation_enabled: true }),
      network_profile: expect.objectContaining({ network_plugin: 'azure', network_plugin_mode: 'overlay', network_policy: 'cilium' }),
      maintenance_window_auto_upgrade: expect.objectContaining({ frequency: 'Weekly', day_of_week: 'Sunday' }),
    });
    const aks = Object.values(resources(doc, 'azurerm_kubernetes_cluster'))[0];
    expect(aks.api_server_access_profile).toBeUndefined();
    expect(aks.default_node_pool).toMatchObject({ name: 'system', only_critical_addons_enabled: true });
  });

  test('every MIG pool is left to the GPU operator: no AKS driver, no AKS MIG instance, a mig.config label', () => {
    const llm = resourceNamed(doc, 'azurerm_kubernetes_cluster_node_pool', 'Pool-llm');
    expect(llm).toMatchObject({ vm_size: 'Standard_NC24ads_A100_v4', gpu_driver: 'None', os_sku: 'Ubuntu' });
    expect(llm.gpu_instance).toBeUndefined();
    expect(llm.node_labels['nvidia.com/mig.config']).toBe('all-1g.10gb');
    // No node opts out of the operator's driver any more: it owns driver, toolkit and MIG everywhere.
    expect(Object.keys(llm.node_labels).filter((k) => k.startsWith('nvidia.com/gpu.deploy.'))).toEqual([]);
    const nvl = resourceNamed(doc, 'azurerm_kubernetes_cluster_node_pool', 'Pool-nvl');
    expect(nvl).toMatchObject({ vm_size: 'Standard_NC40ads_H100_v5', gpu_driver: 'None', os_sku: 'Ubuntu' });
    expect(nvl.gpu_instance).toBeUndefined();
    expect(nvl.node_labels['nvidia.com/mig.config']).toBe('all-1g.24gb');
    for (const p of Object.values(resources(doc, 'azurerm_kubernetes_cluster_node_pool')).filter((p: any) => p.name !== 'general')) {
      expect(p.gpu_driver).toBe('None');
      expect(p.gpu_instance).toBeUndefined();
    }
  });

  test('the operator installs driver and toolkit, and its MIG manager applies every MIG layout', () => {
    const values: string = resourceNamed(doc, 'helm_release', 'GpuOperator').values[0];
    expect(values).toMatch(/^driver:\n {2}enabled: true$/m);
    expect(values).toMatch(/^toolkit:\n {2}enabled: true$/m);
    expect(values).toMatch(/^migManager:\n {2}enabled: true$/m);
    expect(values).toContain('all-1g.10gb:');
    expect(values).toContain('all-1g.24gb:');
    expect(values).toMatch(/default: \|-\n {8}version: v1\n {8}flags:\n {10}migStrategy: single\n/);
  });

  test('spot training pool: Spot priority, Delete eviction, no price cap, AKS label and taint mirrored, no surge', () => {
    expect(synthesized).toHaveResourceWithProperties(KubernetesClusterNodePool, {
      name: 'train',
      priority: 'Spot',
      eviction_policy: 'Delete',
      spot_max_price: -1,
      node_taints: expect.arrayContaining([
        'kubernetes.azure.com/scalesetpriority=spot:NoSchedule',
        'ai-platform.dev/spot=true:NoSchedule',
      ]),
      node_labels: expect.objectContaining({ 'kubernetes.azure.com/scalesetpriority': 'spot' }),
    });
    expect(resourceNamed(doc, 'azurerm_kubernetes_cluster_node_pool', 'Pool-train').upgrade_settings).toBeUndefined();
  });

  test('second apply and upgrades: upgrade settings pinned in full, node versions follow the control plane', () => {
    const aks = resourceNamed(doc, 'azurerm_kubernetes_cluster', 'Cluster');
    const pinned = { drain_timeout_in_minutes: 30, node_soak_duration_in_minutes: 0, undrainable_node_behavior: 'Schedule' };
    // A drain timeout or undrainable behaviour read back but absent from the configuration makes azurerm
    // replace the pool, or for the system pool the cluster.
    expect(aks.default_node_pool.upgrade_settings).toEqual({ max_surge: '33%', ...pinned });
    expect(aks.default_node_pool.orchestrator_version).toBe(aks.kubernetes_version);
    for (const p of Object.values(resources(doc, 'azurerm_kubernetes_cluster_node_pool')) as any[]) {
      expect(p.orchestrator_version).toBe(aks.kubernetes_version);
      if (p.priority === 'Spot') expect(p.upgrade_settings).toBeUndefined();
      else expect(p.upgrade_settings).toEqual({ max_surge: p.name === 'general' ? '33%' : '1', ...pinned });
    }
  });

  test('a retained Premium SSD StorageClass for add-on data', () => {
    expect(Object.values(resources(doc, 'kubernetes_storage_class_v1'))[0]).toMatchObject({
      metadata: { name: 'premium-ssd-retain' },
      storage_provisioner: 'disk.csi.azure.com',
      reclaim_policy: 'Retain',
    });
    expect(cluster.storageClassName).toBe('premium-ssd-retain');
  });

  test('pools scale from zero with the AKS autoscaler', () => {
    for (const p of Object.values(resources(doc, 'azurerm_kubernetes_cluster_node_pool')).filter((p: any) => p.name !== 'general')) {
      expect(p).toMatchObject({ auto_scaling_enabled: true, min_count: 0, mode: 'User' });
    }
  });

  test('ordinary workloads get an untainted, autoscaled general pool, and the contract says where it is', () => {
    const general = resourceNamed(doc, 'azurerm_kubernetes_cluster_node_pool', 'GeneralPool');
    expect(general).toMatchObject({
      name: 'general',
      mode: 'User',
      vm_size: 'Standard_D4ds_v5',
      auto_scaling_enabled: true,
      min_count: 1,
      max_count: 5,
      node_labels: { 'ai-platform.dev/role': 'general', 'ai-platform.dev/pool': 'general' },
      temporary_name_for_rotation: 'generaltmp',
      vnet_subnet_id: RUNNER_SUBNET,
    });
    expect(general.node_taints).toBeUndefined();
    // The autoscaler knows the label of a node it has not started (scale from zero with generalMinNodes 0).
    expect(general.tags['k8s.io_cluster-autoscaler_node-template_label_ai-platform.dev_role']).toBe('general');
    expect(cluster.workloadNodeSelector).toEqual({ 'ai-platform.dev/role': 'general' });
    expect(cluster.workloadTolerations).toEqual([]);
    // Not an accelerator pool: quotas and GPU add-ons do not see it.
    expect(cluster.acceleratorPools.map((p) => p.name)).not.toContain('general');
  });

  test('providers use Entra ID through kubelogin; add-ons tolerate the system pool taint', () => {
    // The default login follows the azurerm provider's credential, through sh (see kubelogin.test.ts).
    expect(doc.provider.helm[0].kubernetes.exec.args.slice(-3)).toEqual(['kubelogin', '--server-id', AKS_ENTRA_SERVER_ID]);
    const values: string = resourceNamed(doc, 'helm_release', 'GpuOperator').values[0];
    expect(values).toContain('key: CriticalAddonsOnly');
    expect(Object.values(resources(doc, 'azurerm_role_assignment'))).toContainEqual(
      expect.objectContaining({ role_definition_name: 'Azure Kubernetes Service RBAC Cluster Admin' }),
    );
  });

  test('workload identity: managed identity federated with the service account, granted by role assignment', () => {
    const cred = Object.values(resources(doc, 'azurerm_federated_identity_credential'))[0];
    expect(cred).toMatchObject({ subject: 'system:serviceaccount:rag:api', audience: ['api://AzureADTokenExchange'] });
    expect(cred.issuer).toMatch(/oidc_issuer_url/);
    expect(identity.podLabels).toEqual({ 'azure.workload.identity/use': 'true' });
    expect(Object.keys(identity.serviceAccountAnnotations)).toEqual(['azure.workload.identity/client-id']);
    expect(Object.values(resources(doc, 'azurerm_role_assignment'))).toContainEqual(
      expect.objectContaining({ role_definition_name: 'Storage Blob Data Reader', principal_type: 'ServicePrincipal' }),
    );
  });

  test('the control plane runs as its own identity, granted Network Contributor on the node subnet before the cluster', () => {
    const aks = resourceNamed(doc, 'azurerm_kubernetes_cluster', 'Cluster');
    const id = resourceNamed(doc, 'azurerm_user_assigned_identity', 'ControlPlaneIdentity');
    expect(id.name).toBe('ai-az-control-plane');
    expect(aks.identity).toEqual({
      type: 'UserAssigned',
      identity_ids: [expect.stringMatching(/^\$\{azurerm_user_assigned_identity\.Gpu_Cluster_ControlPlaneIdentity_\w+\.id\}$/)],
    });
    const grant = resourceNamed(doc, 'azurerm_role_assignment', 'ControlPlaneSubnetAccess');
    // The brought subnet itself, not its VNet or resource group.
    expect(grant).toMatchObject({
      scope: RUNNER_SUBNET,
      role_definition_name: 'Network Contributor',
      principal_id: expect.stringMatching(/^\$\{azurerm_user_assigned_identity\.Gpu_Cluster_ControlPlaneIdentity_\w+\.principal_id\}$/),
      principal_type: 'ServicePrincipal',
    });
    // Created before the cluster, so AKS has it from the start.
    expect(aks.depends_on).toContainEqual(expect.stringMatching(/^azurerm_role_assignment\.Gpu_Cluster_ControlPlaneSubnetAccess_\w+$/));
    // ... and waits for it to propagate: AKS checks the identity's rights on the subnet at creation.
    const wait = resourceNamed(doc, 'time_sleep', 'ControlPlaneSubnetPropagation');
    expect(wait.create_duration).toBe('300s');
    expect(wait.depends_on).toEqual([expect.stringMatching(/^azurerm_role_assignment\.Gpu_Cluster_ControlPlaneSubnetAccess_\w+$/)]);
    expect(aks.depends_on).toContainEqual(expect.stringMatching(/^time_sleep\.Gpu_Cluster_ControlPlaneSubnetPropagation_\w+$/));
    expect(cluster.aksCluster!.controlPlaneIdentity).toBeDefined();
  });

  test('the identity is an Azure workload identity', () => {
    expect(identity).toBeInstanceOf(FederatedWorkloadIdentity);
    expect(identity.cloudProvider).toBe('azure');
  });
});

test('authorized IP ranges make the API public but restricted', () => {
  const stack = azureStack();
  new GpuInferenceCluster(stack, 'Gpu', {
    cloud: Cloud.azure({ location: 'westeurope', authorizedIpRanges: ['203.0.113.0/24'] }),
    clusterName: 'pub',
    nodePools: [GpuNodePool.inference('a', { gpu: Gpu.T4, maxNodes: 1 })],
  });
  const doc = synthJson(stack);
  const aks = Object.values(resources(doc, 'azurerm_kubernetes_cluster'))[0];
  expect(aks.private_cluster_enabled).toBe(false);
  // In a VNet the stack creates, the grant is on the node subnet it creates.
  expect(resourceNamed(doc, 'azurerm_role_assignment', 'ControlPlaneSubnetAccess').scope).toBe(
    '${azurerm_subnet_network_security_group_association.Gpu_Network_NodeSecurityGroupAssociation_D2456A31.subnet_id}',
  );
  expect(aks.api_server_access_profile.authorized_ip_ranges).toEqual(['203.0.113.0/24']);
});

describe('Azure validation', () => {
  const stackWith = (o: Partial<GpuInferenceClusterProps>): TerraformStack => {
    const stack = azureStack();
    new GpuInferenceCluster(stack, 'Gpu', {
      cloud: Cloud.azure({ location: 'eastus2', authorizedIpRanges: REACHABLE }),
      clusterName: 'ai',
      nodePools: [GpuNodePool.inference('a', { gpu: Gpu.T4, maxNodes: 1 })],
      ...o,
    });
    return stack;
  };
  /** Builds (constructors must not throw on bad input); the returned synth reports the problems. */
  const build = (o: Partial<GpuInferenceClusterProps>): (() => void) => {
    const stack = stackWith(o);
    return () => synthJson(stack);
  };
  const azure = (o: Partial<AzureCloudOptions>) => Cloud.azure({ location: 'eastus2', authorizedIpRanges: REACHABLE, ...o });

  test('the fixture itself synthesizes', () => {
    expect(build({})).not.toThrow();
  });

  test('Neuron pools are AWS only', () => {
    expect(build({ nodePools: [GpuNodePool.neuron('inf', { instanceType: 'inf2.xlarge', maxNodes: 1 })] })).toThrow(
      /^test\/Gpu: nodePools\[inf\]\.instanceType 'inf2\.xlarge' is an AWS Inferentia\/Trainium accelerator, which Azure cannot provide; on Azure use a GPU pool with one of A100_40GB, A100_80GB/m,
    );
  });

  test('a GPU with no Azure size lists what Azure offers', () => {
    expect(build({ nodePools: [GpuNodePool.inference('l4', { gpu: Gpu.L4, maxNodes: 1 })] })).toThrow(
      /^test\/Gpu: nodePools\[l4\]\.gpu L4 has no Azure VM size; Azure offers .*H100_NVL_94GB.*T4/m,
    );
  });

  test('one VM size per AKS pool, and it must carry the GPU', () => {
    expect(
      build({
        nodePools: [
          GpuNodePool.training('t', { gpu: Gpu.T4, instanceTypes: ['Standard_NC4as_T4_v3', 'Standard_NC8as_T4_v3'], maxNodes: 1 }),
        ],
      }),
    ).toThrow(/nodePools\[t\]\.instanceTypes .* lists several VM sizes; an AKS node pool has one/);
    expect(
      build({ nodePools: [GpuNodePool.inference('t', { gpu: Gpu.T4, instanceType: 'Standard_NC24ads_A100_v4', maxNodes: 1 })] }),
    ).toThrow(/nodePools\[t\]\.instanceType 'Standard_NC24ads_A100_v4' does not carry T4; use one of Standard_NC4as_T4_v3/);
  });

  test('AKS pool names', () => {
    expect(build({ nodePools: [GpuNodePool.inference('llm-mixed', { gpu: Gpu.T4, maxNodes: 1 })] })).toThrow(
      /^test\/Gpu: nodePools\[llm-mixed\]\.name 'llm-mixed' is not a valid AKS node pool name; use 1-12 lower-case letters and digits/m,
    );
  });

  test('API exposure, region, cluster name, maintenance window, kubelogin mode', () => {
    expect(build({ cloud: azure({ authorizedIpRanges: ['0.0.0.0/0'] }) })).toThrow(
      /^test\/Gpu: authorizedIpRanges '0\.0\.0\.0\/0' opens the API server to the whole internet/m,
    );
    expect(build({ cloud: azure({ authorizedIpRanges: ['10.0.0.300/8'] }) })).toThrow(
      /^test\/Gpu: authorizedIpRanges '10\.0\.0\.300\/8' is not an IPv4 CIDR; use the form 203\.0\.113\.0\/24/m,
    );
    expect(build({ cloud: azure({ location: 'East US 2' }) })).toThrow(
      /^test\/Gpu: location "East US 2" is not an Azure region name; use the short form/m,
    );
    expect(build({ clusterName: 'x' })).toThrow(/^test\/Gpu: clusterName 'x' is not a valid AKS cluster name/m);
    expect(build({ cloud: azure({ maintenanceDay: 'Sun' }) })).toThrow(/maintenanceDay 'Sun' is not a weekday name; use one of Monday/);
    expect(build({ cloud: azure({ maintenanceStartHour: 24 }) })).toThrow(/maintenanceStartHour 24 is not an hour; use 0-23/);
    expect(build({ cloud: azure({ kubeloginMode: 'password' }) })).toThrow(/kubeloginMode 'password' is not a kubelogin login mode/);
    expect(build({ cloud: azure({ vnetCidr: '10.0.0.0/8' }) })).toThrow(/vnetCidr '10\.0\.0\.0\/8' is not an IPv4 CIDR of size \/16-\/24/);
  });
});

test('the general pool is sized by cloud options, and without it ordinary workloads fall back to the system pool', () => {
  const sized = azureStack();
  new GpuInferenceCluster(sized, 'Gpu', {
    cloud: Cloud.azure({
      location: 'eastus2',
      authorizedIpRanges: REACHABLE,
      generalVmSize: 'Standard_D8ds_v5',
      generalMinNodes: 0,
      generalMaxNodes: 10,
    }),
    clusterName: 'ai',
    nodePools: [GpuNodePool.inference('a', { gpu: Gpu.T4, maxNodes: 1 })],
  });
  expect(resourceNamed(synthJson(sized), 'azurerm_kubernetes_cluster_node_pool', 'GeneralPool')).toMatchObject({
    vm_size: 'Standard_D8ds_v5',
    min_count: 0,
    max_count: 10,
  });
  const none = azureStack();
  const cluster = new GpuInferenceCluster(none, 'Gpu', {
    cloud: Cloud.azure({ location: 'eastus2', authorizedIpRanges: REACHABLE, generalMaxNodes: 0 }),
    clusterName: 'ai',
    nodePools: [GpuNodePool.inference('a', { gpu: Gpu.T4, maxNodes: 1 })],
  });
  const pools = Object.values(resources(synthJson(none), 'azurerm_kubernetes_cluster_node_pool')).map((p: any) => p.name);
  expect(pools).toEqual(['a']);
  expect(cluster.workloadNodeSelector).toEqual({ 'ai-platform.dev/role': 'system' });
  expect(cluster.workloadTolerations).toEqual([{ key: 'CriticalAddonsOnly', operator: 'Exists' }]);
});

test('general pool sizes and names are checked', () => {
  const stack = azureStack();
  new GpuInferenceCluster(stack, 'Gpu', {
    cloud: Cloud.azure({
      location: 'eastus2',
      authorizedIpRanges: REACHABLE,
      generalMinNodes: 3,
      generalMaxNodes: 2,
      generalVmSize: 'D4ds_v5',
    }),
    clusterName: 'ai',
    nodePools: [
      GpuNodePool.inference('general', { gpu: Gpu.T4, maxNodes: 1 }),
      GpuNodePool.inference('generaltmp', { gpu: Gpu.T4, maxNodes: 1 }),
    ],
  });
  expect(problemLines(stack)).toEqual([
    'test/Gpu: generalMaxNodes 2 is below generalMinNodes 3; use generalMaxNodes >= generalMinNodes',
    "test/Gpu: generalVmSize 'D4ds_v5' is not an Azure VM size name; use e.g. 'Standard_D4ds_v5'",
    "test/Gpu: nodePools[general].name 'general' is taken by the general pool for ordinary workloads; rename the pool, or set generalMaxNodes 0",
    "test/Gpu: nodePools[generaltmp].name 'generaltmp' is taken by the general pool for ordinary workloads (its temporary rotation name); rename the pool, or set generalMaxNodes 0",
    "test/Gpu: nodePools[generaltmp].name 'generaltmp' is the temporary name pool 'general' rotates through on AKS; rename one of them",
  ]);
  const negative = azureStack();
  new GpuInferenceCluster(negative, 'Gpu', {
    cloud: Cloud.azure({ location: 'eastus2', authorizedIpRanges: REACHABLE, generalMinNodes: -1, generalMaxNodes: 1.5 }),
    clusterName: 'ai',
    nodePools: [GpuNodePool.inference('a', { gpu: Gpu.T4, maxNodes: 1 })],
  });
  expect(problemLines(negative)).toEqual([
    'test/Gpu: generalMinNodes -1 is not a whole number in 0-1000; use 0 to scale the general pool from zero, 1 to keep a node ready',
    'test/Gpu: generalMaxNodes 1.5 is not a whole number in 0-1000; use 0 to leave the general pool out (AKS pools have at most 1000 nodes)',
  ]);
});

test('AKS allows at most 100 node pools', () => {
  const stack = azureStack();
  new GpuInferenceCluster(stack, 'Gpu', {
    cloud: Cloud.azure({ location: 'eastus2', authorizedIpRanges: REACHABLE }),
    clusterName: 'big',
    nodePools: Array.from({ length: 100 }, (_, i) => GpuNodePool.inference(`p${i}`, { gpu: Gpu.T4, maxNodes: 1 })),
  });
  expect(() => synthJson(stack)).toThrow(/^test\/Gpu: nodePools 100 pools exceed AKS's limit of 100 node pools per cluster/m);
});

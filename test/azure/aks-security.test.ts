import { AzurermProvider } from '@cdktf/provider-azurerm/lib/provider';
import { App, TerraformStack, TerraformVariable } from 'cdktf';
import { AzureCloudOptions, Cloud, Gpu, GpuInferenceCluster, GpuNodePool } from '../../lib';
import { AKS_CONTROL_PLANE_LOG_CATEGORIES } from '../../lib/azure/aks-security';
import { azureStack, problemLines, resourceNamed, resources, synthAppMerged, synthJson } from '../helpers';

/**
 * Issue 18, audit and encryption on AKS: control-plane logs to a retained Log Analytics workspace, Kubernetes
 * secrets envelope-encrypted with a retained Key Vault key, host encryption on GPU pools, Defender opt-in.
 */

const SUBNET = '/subscriptions/0000/resourceGroups/net/providers/Microsoft.Network/virtualNetworks/runners/subnets/aks';
const WORKSPACE = '/subscriptions/0000/resourceGroups/sec/providers/Microsoft.OperationalInsights/workspaces/central';
const VAULT = '/subscriptions/0000/resourceGroups/sec/providers/Microsoft.KeyVault/vaults/central-kv';
const KEY = 'https://central-kv.vault.azure.net/keys/aks/0123456789abcdef0123456789abcdef';

function synth(o: Partial<AzureCloudOptions> = {}, clusterName = 'ai-az'): any {
  const stack = azureStack();
  new GpuInferenceCluster(stack, 'Gpu', {
    cloud: Cloud.azure({ location: 'eastus2', existingSubnetId: SUBNET, resourceGroup: 'platform-rg', ...o }),
    clusterName,
    nodePools: [
      GpuNodePool.inference('llm', { gpu: Gpu.A100_80GB, maxNodes: 2 }),
      GpuNodePool.training('train', { gpu: Gpu.T4, spot: true, maxNodes: 2 }),
    ],
  });
  return synthJson(stack);
}

const ref = (type: string, name: string, attr: string) => new RegExp(`^\\$\\{${type}\\.Gpu_Cluster_${name}_\\w+\\.${attr}\\}$`);

describe('AKS audit and encryption defaults', () => {
  const doc = synth();
  const aks = resourceNamed(doc, 'azurerm_kubernetes_cluster', 'Cluster');

  test('control-plane logs: kube-audit-admin, guard, kube-apiserver, cluster-autoscaler to Log Analytics, resource-specific tables', () => {
    const diag = resourceNamed(doc, 'azurerm_monitor_diagnostic_setting', 'ControlPlaneLogs');
    expect(diag.target_resource_id).toMatch(/^\$\{azurerm_kubernetes_cluster\.Gpu_Cluster_\w+\.id\}$/);
    expect(diag.log_analytics_workspace_id).toMatch(ref('azurerm_log_analytics_workspace', 'AuditWorkspace', 'id'));
    expect(diag.enabled_log).toEqual([
      { category: 'kube-audit-admin' },
      { category: 'kube-apiserver' },
      { category: 'guard' },
      { category: 'cluster-autoscaler' },
    ]);
    expect(AKS_CONTROL_PLANE_LOG_CATEGORIES).not.toContain('kube-audit'); // get/list: many times the volume
    // 'Dedicated' reads back as set; no metric block (computed in azurerm 4.x when unset): no diff on a second apply.
    expect(diag.log_analytics_destination_type).toBe('Dedicated');
    expect(diag.metric).toBeUndefined();
    expect(diag.enabled_metric).toBeUndefined();
  });

  test('the audit workspace keeps 365 days and is retained', () => {
    const ws = resourceNamed(doc, 'azurerm_log_analytics_workspace', 'AuditWorkspace');
    expect(ws).toMatchObject({ name: 'ai-az-logs', resource_group_name: 'platform-rg', sku: 'PerGB2018', retention_in_days: 365 });
    expect(ws.lifecycle).toEqual({ prevent_destroy: true });
    expect(ws.tags.throwaway).toBeUndefined();
  });

  test('secrets are envelope-encrypted with a key of a retained, RBAC, purge-protected vault', () => {
    const vault = resourceNamed(doc, 'azurerm_key_vault', 'SecretsKey');
    expect(vault).toMatchObject({
      rbac_authorization_enabled: true,
      purge_protection_enabled: true,
      soft_delete_retention_days: 90,
      // The KMS plugin calls the vault from the AKS control plane: no firewall that denies public access.
      public_network_access_enabled: true,
      network_acls: { default_action: 'Allow', bypass: 'AzureServices' },
      lifecycle: { prevent_destroy: true },
    });
    expect(vault.name).toMatch(/^kv-ai-az-[0-9a-f]{8}$/);
    const key = resourceNamed(doc, 'azurerm_key_vault_key', 'SecretsKey');
    expect(key).toMatchObject({ key_type: 'RSA', key_size: 2048, lifecycle: { prevent_destroy: true } });
    expect(key.key_vault_id).toMatch(/^\$\{azurerm_key_vault\.Gpu_Cluster_SecretsKey_Vault_\w+\.id\}$/);
    // Rotates yearly; no version ever expires (an expired version would lock the cluster out of its secrets).
    expect(key.rotation_policy).toEqual({ automatic: { time_after_creation: 'P365D' } });
    expect(key.expiration_date).toBeUndefined();
    expect(aks.key_management_service).toEqual({
      key_vault_key_id: expect.stringMatching(/^\$\{azurerm_key_vault_key\.Gpu_Cluster_SecretsKey_\w+\.id\}$/),
      key_vault_network_access: 'Public',
    });
  });

  test('the deployer creates the key only after its Crypto Officer role has propagated', () => {
    const officer = resourceNamed(doc, 'azurerm_role_assignment', 'DeployerCryptoOfficer');
    expect(officer).toMatchObject({ role_definition_name: 'Key Vault Crypto Officer' });
    expect(officer.scope).toMatch(/^\$\{azurerm_key_vault\.Gpu_Cluster_SecretsKey_Vault_\w+\.id\}$/);
    expect(officer.principal_id).toMatch(/^\$\{data\.azurerm_client_config\.\w+\.object_id\}$/);
    const wait = resourceNamed(doc, 'time_sleep', 'DeployerCryptoOfficerPropagation');
    expect(wait.create_duration).toBe('300s');
    const key = resourceNamed(doc, 'azurerm_key_vault_key', 'SecretsKey');
    expect(key.depends_on).toEqual([
      expect.stringMatching(/^azurerm_role_assignment\.Gpu_Cluster_SecretsKey_DeployerCryptoOfficer_\w+$/),
      expect.stringMatching(/^time_sleep\.Gpu_Cluster_SecretsKey_DeployerCryptoOfficerPropagation_\w+$/),
    ]);
  });

  test('the control-plane identity may use the key (Crypto User on the key alone) before the cluster is created or updated', () => {
    const user = resourceNamed(doc, 'azurerm_role_assignment', 'ControlPlaneKeyAccess');
    expect(user).toMatchObject({ role_definition_name: 'Key Vault Crypto User', principal_type: 'ServicePrincipal' });
    expect(user.scope).toMatch(/^\$\{azurerm_key_vault_key\.Gpu_Cluster_SecretsKey_\w+\.resource_versionless_id\}$/);
    expect(user.principal_id).toMatch(ref('azurerm_user_assigned_identity', 'ControlPlaneIdentity', 'principal_id'));
    expect(resourceNamed(doc, 'time_sleep', 'ControlPlaneKeyAccessPropagation').depends_on).toEqual([
      expect.stringMatching(/^azurerm_role_assignment\.Gpu_Cluster_ControlPlaneKeyAccess_\w+$/),
    ]);
    expect(aks.depends_on).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^azurerm_role_assignment\.Gpu_Cluster_ControlPlaneKeyAccess_\w+$/),
        expect.stringMatching(/^time_sleep\.Gpu_Cluster_ControlPlaneKeyAccessPropagation_\w+$/),
      ]),
    );
  });

  test('host encryption on every GPU pool; Defender off', () => {
    const pools = Object.values(resources(doc, 'azurerm_kubernetes_cluster_node_pool'));
    const gpu = pools.filter((p: any) => p.name !== 'general');
    expect(gpu.map((p: any) => p.name).sort()).toEqual(['llm', 'train']);
    for (const p of gpu) expect(p.host_encryption_enabled).toBe(true);
    // Changing it cycles the pool through its temporary pool instead of failing.
    for (const p of gpu) expect(p.temporary_name_for_rotation).toMatch(/tmp$/);
    expect(aks.microsoft_defender).toBeUndefined();
  });
});

describe('AKS audit and encryption opt-outs', () => {
  test('throwaway logs: no prevent_destroy, tagged throwaway; retention is the prop', () => {
    const ws = resourceNamed(
      synth({ retainLogsOnDestroy: false, controlPlaneLogRetentionDays: 730 }),
      'azurerm_log_analytics_workspace',
      'AuditWorkspace',
    );
    expect(ws.lifecycle).toBeUndefined();
    expect(ws.tags.throwaway).toBe('true');
    expect(ws.retention_in_days).toBe(730);
  });

  test('throwaway key: no purge protection, no prevent_destroy, tagged throwaway', () => {
    const doc = synth({ retainSecretsKeyOnDestroy: false, secretsKeyVaultName: 'my-kv-1' });
    const vault = resourceNamed(doc, 'azurerm_key_vault', 'SecretsKey');
    expect(vault).toMatchObject({ name: 'my-kv-1', purge_protection_enabled: false, tags: expect.objectContaining({ throwaway: 'true' }) });
    expect(vault.lifecycle).toBeUndefined();
    expect(resourceNamed(doc, 'azurerm_key_vault_key', 'SecretsKey').lifecycle).toBeUndefined();
  });

  test("a workspace of the user's: none created; logs and Defender go there", () => {
    const doc = synth({ logAnalyticsWorkspaceId: WORKSPACE, defenderForContainers: true });
    expect(resources(doc, 'azurerm_log_analytics_workspace')).toEqual({});
    expect(resourceNamed(doc, 'azurerm_monitor_diagnostic_setting', 'ControlPlaneLogs').log_analytics_workspace_id).toBe(WORKSPACE);
    expect(resourceNamed(doc, 'azurerm_kubernetes_cluster', 'Cluster').microsoft_defender).toEqual({
      log_analytics_workspace_id: WORKSPACE,
    });
  });

  test("Defender on reports to the library's workspace", () => {
    const aks = resourceNamed(synth({ defenderForContainers: true }), 'azurerm_kubernetes_cluster', 'Cluster');
    expect(aks.microsoft_defender.log_analytics_workspace_id).toMatch(ref('azurerm_log_analytics_workspace', 'AuditWorkspace', 'id'));
  });

  test("a key of the user's: no vault created; the identity is granted on that vault", () => {
    const doc = synth({ secretsKeyVaultKeyId: KEY, secretsKeyVaultId: VAULT });
    expect(resources(doc, 'azurerm_key_vault')).toEqual({});
    expect(resources(doc, 'azurerm_key_vault_key')).toEqual({});
    expect(resourceNamed(doc, 'azurerm_kubernetes_cluster', 'Cluster').key_management_service).toEqual({
      key_vault_key_id: KEY,
      key_vault_network_access: 'Public',
    });
    expect(resourceNamed(doc, 'azurerm_role_assignment', 'ControlPlaneKeyAccess')).toMatchObject({
      scope: VAULT,
      role_definition_name: 'Key Vault Crypto User',
    });
  });

  test('secrets encryption off: no key_management_service, no vault, no grant', () => {
    const doc = synth({ secretsEncryption: false });
    expect(resourceNamed(doc, 'azurerm_kubernetes_cluster', 'Cluster').key_management_service).toBeUndefined();
    expect(resources(doc, 'azurerm_key_vault')).toEqual({});
    expect(Object.values(resources(doc, 'azurerm_role_assignment')).map((r: any) => r.role_definition_name)).not.toContain(
      'Key Vault Crypto User',
    );
  });

  test('host encryption off', () => {
    const pools = Object.values(resources(synth({ hostEncryption: false }), 'azurerm_kubernetes_cluster_node_pool'));
    for (const p of pools.filter((x: any) => x.name !== 'general')) expect((p as any).host_encryption_enabled).toBe(false);
  });
});

describe('Key Vault names', () => {
  test('derived: at most 24 characters, a letter first, alphanumeric last, stable', () => {
    const long = 'a-very-long-cluster-name-for-aks-0123';
    const name = resourceNamed(synth({}, long), 'azurerm_key_vault', 'SecretsKey').name;
    expect(name).toMatch(/^kv-a-very-long-[0-9a-f]{8}$/);
    expect(name.length).toBeLessThanOrEqual(24);
    expect(resourceNamed(synth({}, long), 'azurerm_key_vault', 'SecretsKey').name).toBe(name);
  });

  test('a cluster name from a Terraform variable leaves the name to the hash', () => {
    const stack = azureStack();
    const name = new TerraformVariable(stack, 'name', { type: 'string' }).stringValue;
    new GpuInferenceCluster(stack, 'Gpu', {
      cloud: Cloud.azure({ location: 'eastus2', existingSubnetId: SUBNET, resourceGroup: 'platform-rg' }),
      clusterName: name,
      nodePools: [GpuNodePool.inference('llm', { gpu: Gpu.T4, maxNodes: 1 })],
    });
    expect(resourceNamed(synthJson(stack), 'azurerm_key_vault', 'SecretsKey').name).toMatch(/^kv-[0-9a-f]{8}$/);
  });
});

describe('AKS audit and encryption input checks', () => {
  const lines = (o: Partial<AzureCloudOptions>): string[] => {
    const stack = azureStack();
    new GpuInferenceCluster(stack, 'Gpu', {
      cloud: Cloud.azure({ location: 'eastus2', existingSubnetId: SUBNET, ...o }),
      clusterName: 'ai',
      nodePools: [GpuNodePool.inference('a', { gpu: Gpu.T4, maxNodes: 1 })],
    });
    return problemLines(stack);
  };

  test('workspace id and retention', () => {
    expect(lines({ logAnalyticsWorkspaceId: 'central' })).toEqual([
      "test/Gpu: logAnalyticsWorkspaceId 'central' is not a Log Analytics workspace id; pass '/subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.OperationalInsights/workspaces/<name>', or leave it unset for a new workspace",
    ]);
    expect(lines({ controlPlaneLogRetentionDays: 7 })).toEqual([
      'test/Gpu: controlPlaneLogRetentionDays 7 is not a Log Analytics retention; use a whole number of days in 30-730 (365 or more for an audit trail)',
    ]);
    expect(lines({ controlPlaneLogRetentionDays: 3653 })).toEqual([
      expect.stringMatching(/controlPlaneLogRetentionDays 3653 is not a Log Analytics retention/),
    ]);
    expect(lines({ controlPlaneLogRetentionDays: 365.5 })).toEqual([expect.stringMatching(/controlPlaneLogRetentionDays 365\.5 is not/)]);
    expect(lines({ logAnalyticsWorkspaceId: WORKSPACE, controlPlaneLogRetentionDays: 400, retainLogsOnDestroy: false })).toEqual([
      'test/Gpu: controlPlaneLogRetentionDays 400 applies to the workspace the library creates, but logAnalyticsWorkspaceId is set; set the retention on that workspace, or leave one of them unset',
      'test/Gpu: retainLogsOnDestroy false applies to the workspace the library creates, but logAnalyticsWorkspaceId is set; leave one of them unset',
    ]);
  });

  test("a key of the user's: versioned, with its vault", () => {
    expect(lines({ secretsKeyVaultKeyId: 'https://central-kv.vault.azure.net/keys/aks', secretsKeyVaultId: VAULT })).toEqual([
      "test/Gpu: secretsKeyVaultKeyId 'https://central-kv.vault.azure.net/keys/aks' is not a versioned Key Vault key id; pass 'https://<vault>.vault.azure.net/keys/<key>/<version>' (AKS KMS needs the version), e.g. azurerm_key_vault_key.id",
    ]);
    expect(lines({ secretsKeyVaultKeyId: KEY })).toEqual([
      expect.stringMatching(/^test\/Gpu: secretsKeyVaultKeyId 'https:\/\/central-kv.*' is set without secretsKeyVaultId; pass both/),
    ]);
    expect(lines({ secretsKeyVaultId: 'central-kv' })).toEqual([
      "test/Gpu: secretsKeyVaultId 'central-kv' is not a Key Vault id; pass '/subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.KeyVault/vaults/<name>'",
      expect.stringMatching(/^test\/Gpu: secretsKeyVaultId 'central-kv' is set without secretsKeyVaultKeyId; pass both/),
    ]);
    expect(
      lines({ secretsKeyVaultKeyId: KEY, secretsKeyVaultId: VAULT, secretsKeyVaultName: 'kv1', retainSecretsKeyOnDestroy: false }),
    ).toEqual([
      "test/Gpu: secretsKeyVaultName 'kv1' applies to the Key Vault the library creates, but secretsKeyVaultKeyId is set; leave one of them unset",
      'test/Gpu: retainSecretsKeyOnDestroy false applies to the Key Vault the library creates, but secretsKeyVaultKeyId is set; leave one of them unset',
    ]);
    expect(lines({ secretsEncryption: false, secretsKeyVaultName: 'kv1' })).toEqual([
      "test/Gpu: secretsKeyVaultName 'kv1' is set, but secretsEncryption is false; remove one of them",
    ]);
  });

  test('Key Vault names', () => {
    for (const bad of ['kv', '1kv-abc', 'kv--abc', 'kv-abc-', 'kv_abc', 'kv-abcdefghijklmnopqrstuvw'])
      expect(lines({ secretsKeyVaultName: bad })).toEqual([
        `test/Gpu: secretsKeyVaultName '${bad}' is not a valid Key Vault name; use 3-24 letters, digits or single '-', starting with a letter and ending with a letter or digit (it must be unique across Azure)`,
      ]);
    for (const good of ['kv1', 'Kv-a1-b2', 'kv-abcdefghijklmnopqrstu']) expect(lines({ secretsKeyVaultName: good })).toEqual([]);
  });

  test('values from Terraform variables are never rejected', () => {
    const stack = azureStack();
    const v = (n: string, type = 'string') => new TerraformVariable(stack, n, { type });
    new GpuInferenceCluster(stack, 'Gpu', {
      cloud: Cloud.azure({
        location: 'eastus2',
        existingSubnetId: SUBNET,
        logAnalyticsWorkspaceId: v('ws').stringValue,
        secretsKeyVaultKeyId: v('key').stringValue,
        secretsKeyVaultId: v('vault').stringValue,
      }),
      clusterName: 'ai',
      nodePools: [GpuNodePool.inference('a', { gpu: Gpu.T4, maxNodes: 1 })],
    });
    expect(problemLines(stack)).toEqual([]);
  });
});

test("with a data stack: workspace, vault, key and the deployer's key role live there; grants and the setting stay with the cluster", () => {
  const { stacks } = synthAppMerged((app: App) => {
    const compute = new TerraformStack(app, 'gpu');
    const data = new TerraformStack(app, 'gpu-data');
    for (const s of [compute, data]) new AzurermProvider(s, 'azurerm', { features: [{}] });
    new GpuInferenceCluster(compute, 'Gpu', {
      cloud: Cloud.azure({ location: 'eastus2', authorizedIpRanges: ['203.0.113.0/24'] }),
      clusterName: 'ai',
      nodePools: [GpuNodePool.inference('t4', { gpu: Gpu.T4, maxNodes: 2 })],
      dataStack: data,
    });
  });
  const types = (d: any) => Object.keys(d.resource ?? {});
  expect(types(stacks['gpu-data'])).toEqual(
    expect.arrayContaining(['azurerm_log_analytics_workspace', 'azurerm_key_vault', 'azurerm_key_vault_key']),
  );
  expect(types(stacks.gpu)).not.toEqual(expect.arrayContaining(['azurerm_log_analytics_workspace']));
  expect(types(stacks.gpu)).not.toContain('azurerm_key_vault');
  expect(types(stacks.gpu)).not.toContain('azurerm_key_vault_key');
  expect(resourceNamed(stacks['gpu-data'], 'azurerm_role_assignment', 'DeployerCryptoOfficer').role_definition_name).toBe(
    'Key Vault Crypto Officer',
  );
  expect(resourceNamed(stacks.gpu, 'azurerm_role_assignment', 'ControlPlaneKeyAccess').role_definition_name).toBe('Key Vault Crypto User');
  expect(Object.keys(resources(stacks.gpu, 'azurerm_monitor_diagnostic_setting'))).toHaveLength(1);
  // The data stack never reads the cluster's stack.
  expect(JSON.stringify(stacks['gpu-data'])).not.toContain('terraform_remote_state');
});

describe('the data stack and the secrets key', () => {
  const build = (app: App, withData: boolean, o: Partial<AzureCloudOptions> = {}) => {
    const compute = new TerraformStack(app, 'gpu');
    const data = withData ? new TerraformStack(app, 'gpu-data') : undefined;
    for (const s of [compute, data]) if (s) new AzurermProvider(s, 'azurerm', { features: [{}] });
    new GpuInferenceCluster(compute, 'Gpu', {
      cloud: Cloud.azure({ location: 'eastus2', authorizedIpRanges: ['203.0.113.0/24'], resourceGroup: 'platform-rg', ...o }),
      clusterName: 'ai',
      nodePools: [GpuNodePool.inference('t4', { gpu: Gpu.T4, maxNodes: 2 })],
      dataStack: data,
    });
    return compute;
  };

  test('the derived vault name stays when the vault moves into a data stack (a new name would be a new vault)', () => {
    const alone = synthAppMerged((app) => build(app, false)).doc;
    const split = synthAppMerged((app) => build(app, true)).stacks['gpu-data'];
    const name = resourceNamed(alone, 'azurerm_key_vault', 'SecretsKey').name;
    expect(name).toMatch(/^kv-ai-[0-9a-f]{8}$/);
    expect(resourceNamed(split, 'azurerm_key_vault', 'SecretsKey').name).toBe(name);
  });

  test("the deployer's object id is used in the data stack, so it may not be a value of the cluster's stack", () => {
    const app = new App();
    const compute = new TerraformStack(app, 'gpu');
    const deployer = new TerraformVariable(compute, 'deployer', { type: 'string' }).stringValue;
    const data = new TerraformStack(app, 'gpu-data');
    for (const s of [compute, data]) new AzurermProvider(s, 'azurerm', { features: [{}] });
    const cluster = (id: string, o: Partial<AzureCloudOptions>) =>
      new GpuInferenceCluster(compute, id, {
        cloud: Cloud.azure({ location: 'eastus2', authorizedIpRanges: ['203.0.113.0/24'], deployerPrincipalId: deployer, ...o }),
        clusterName: id.toLowerCase(),
        nodePools: [GpuNodePool.inference('t4', { gpu: Gpu.T4, maxNodes: 2 })],
        dataStack: data,
      });
    cluster('Made', {});
    // With a key of the user's, the library makes no vault there: nothing of the deployer's in the data stack.
    cluster('Brought', { secretsKeyVaultKeyId: KEY, secretsKeyVaultId: VAULT });
    expect(problemLines(compute)).toEqual([
      "gpu/Made: cloud.deployerPrincipalId ${var.deployer} is a value of stack 'gpu', but resources of dataStack 'gpu-data' are built from it and would read that stack (the cluster's stack reads the data stack: a cycle); declare the variable in stack 'gpu-data', or pass a literal",
    ]);
  });
});

import { block, blocks, isFalse, isToken, isTrue, isUnset, Rule, SecurityRuleLevel, shown } from '../rule';

const { ERROR, WARNING } = SecurityRuleLevel;

const AUDIT_CATEGORIES = ['kube-audit', 'kube-audit-admin'];
const AUDIT_GROUPS = ['audit', 'allLogs'];

/** Rules over Azure resources: AKS, PostgreSQL flexible server, storage accounts, Key Vault. */
export const AZURE_RULES: Rule[] = [
  {
    id: 'aks-local-accounts',
    level: ERROR,
    resourceTypes: ['azurerm_kubernetes_cluster'],
    description: 'AKS local accounts (the static cluster-admin kubeconfig) are disabled; every user signs in with Entra ID.',
    fix: 'set local_account_disabled = true (AksPlatformCluster does)',
    check: ({ config }) => {
      const v = config.local_account_disabled;
      if (isToken(v) || isTrue(v)) return undefined;
      return isUnset(v) ? 'local_account_disabled is not set (local accounts stay enabled)' : 'local_account_disabled is false';
    },
  },
  {
    id: 'aks-entra-rbac',
    level: ERROR,
    resourceTypes: ['azurerm_kubernetes_cluster'],
    description: 'AKS authenticates with Entra ID and authorizes with Azure RBAC for Kubernetes.',
    fix: 'set azure_active_directory_role_based_access_control { azure_rbac_enabled = true, tenant_id = ... } and keep role_based_access_control_enabled',
    check: ({ config }) => {
      if (isFalse(config.role_based_access_control_enabled)) return 'role_based_access_control_enabled is false: Kubernetes RBAC is off';
      if (isToken(config.azure_active_directory_role_based_access_control)) return undefined;
      const aad = block(config.azure_active_directory_role_based_access_control);
      if (!aad) return 'azure_active_directory_role_based_access_control is not set: no Entra ID sign-in';
      const v = aad.azure_rbac_enabled;
      if (isToken(v) || isTrue(v)) return undefined;
      return 'azure_active_directory_role_based_access_control.azure_rbac_enabled is not true: access is granted by Kubernetes RoleBindings only';
    },
  },
  {
    id: 'aks-api-server-access',
    level: ERROR,
    resourceTypes: ['azurerm_kubernetes_cluster'],
    description: 'The AKS API server is private, or public only to authorized IP ranges (never 0.0.0.0/0).',
    fix: "set api_server_access_profile.authorized_ip_ranges to the deployers' ranges, or private_cluster_enabled = true",
    check: ({ config }) => {
      const priv = config.private_cluster_enabled;
      if (isToken(priv) || isTrue(priv)) return undefined;
      const profile = config.api_server_access_profile;
      if (isToken(profile)) return undefined;
      const ranges = block(profile)?.authorized_ip_ranges;
      if (isToken(ranges)) return undefined;
      if (!Array.isArray(ranges) || ranges.length === 0)
        return 'the API server is public and api_server_access_profile.authorized_ip_ranges is not set';
      return ranges.includes('0.0.0.0/0') ? "api_server_access_profile.authorized_ip_ranges includes '0.0.0.0/0'" : undefined;
    },
  },
  {
    id: 'aks-kms',
    level: WARNING,
    resourceTypes: ['azurerm_kubernetes_cluster'],
    description: 'Kubernetes Secrets are envelope-encrypted in etcd with a Key Vault key (KMS etcd encryption), as on EKS.',
    fix: 'set key_management_service { key_vault_key_id = <Key Vault key id> }',
    check: ({ config }) => {
      if (isToken(config.key_management_service)) return undefined;
      const kms = block(config.key_management_service);
      return kms && !isUnset(kms.key_vault_key_id)
        ? undefined
        : 'key_management_service is not set: Secrets are encrypted with platform-managed keys only';
    },
  },
  {
    id: 'aks-audit-logs',
    level: WARNING,
    resourceTypes: ['azurerm_kubernetes_cluster'],
    description: "A diagnostic setting sends the cluster's kube-audit or kube-audit-admin logs to a Log Analytics workspace.",
    fix: 'add an azurerm_monitor_diagnostic_setting with target_resource_id = the cluster id and enabled_log { category = "kube-audit-admin" }',
    check: (cluster, stack) => {
      let unknown = false;
      for (const d of stack.ofType('azurerm_monitor_diagnostic_setting')) {
        const refers = stack.refersTo(d.config.target_resource_id, cluster);
        if (refers === undefined) unknown = true;
        if (!refers) continue;
        if (isToken(d.config.enabled_log)) return undefined;
        const logs = blocks(d.config.enabled_log);
        if (logs.some((l) => isToken(l.category) || AUDIT_CATEGORIES.includes(l.category) || AUDIT_GROUPS.includes(l.category_group)))
          return undefined;
      }
      return unknown ? undefined : 'no azurerm_monitor_diagnostic_setting in the stack sends kube-audit or kube-audit-admin logs';
    },
  },
  {
    id: 'postgres-flexible-not-public',
    level: ERROR,
    resourceTypes: ['azurerm_postgresql_flexible_server'],
    description: 'PostgreSQL flexible servers take no public traffic: a private endpoint or VNet integration only.',
    fix: 'set public_network_access_enabled = false and reach it through a private endpoint (PostgresDatabase does)',
    check: ({ config }) => {
      if (!isUnset(config.delegated_subnet_id)) return undefined;
      const v = config.public_network_access_enabled;
      if (isToken(v) || isFalse(v)) return undefined;
      return isUnset(v)
        ? 'public_network_access_enabled is not set and the server is not VNet-integrated (Azure allows public access)'
        : 'public_network_access_enabled is true';
    },
  },
  {
    id: 'storage-min-tls',
    level: ERROR,
    resourceTypes: ['azurerm_storage_account'],
    description: 'Storage accounts accept TLS 1.2 or newer only.',
    fix: 'set min_tls_version = "TLS1_2"',
    check: ({ config }) => {
      const v = config.min_tls_version;
      if (isUnset(v) || isToken(v) || v === 'TLS1_2' || v === 'TLS1_3') return undefined;
      return `min_tls_version ${shown(v)} accepts TLS older than 1.2`;
    },
  },
  {
    id: 'storage-no-public-blobs',
    level: ERROR,
    resourceTypes: ['azurerm_storage_account'],
    description: 'No container of a storage account can be made publicly readable.',
    fix: 'set allow_nested_items_to_be_public = false (ObjectStore does)',
    check: ({ config }) => {
      const v = config.allow_nested_items_to_be_public;
      if (isToken(v) || isFalse(v)) return undefined;
      return isUnset(v)
        ? 'allow_nested_items_to_be_public is not set (the default allows public containers)'
        : 'allow_nested_items_to_be_public is true';
    },
  },
  {
    id: 'storage-shared-key-disabled',
    level: WARNING,
    resourceTypes: ['azurerm_storage_account'],
    description: 'Storage accounts refuse the account key (Shared Key); clients use Entra ID identities.',
    fix: 'set shared_access_key_enabled = false and grant identities data roles (ObjectStore does)',
    check: ({ config }) => {
      const v = config.shared_access_key_enabled;
      if (isToken(v) || isFalse(v)) return undefined;
      return isUnset(v) ? 'shared_access_key_enabled is not set (the account key works)' : 'shared_access_key_enabled is true';
    },
  },
  {
    id: 'key-vault-rbac',
    level: WARNING,
    resourceTypes: ['azurerm_key_vault'],
    description: 'Key Vaults authorize with Azure RBAC, not vault access policies.',
    fix: 'set rbac_authorization_enabled = true and grant Key Vault data roles',
    check: ({ config }) => {
      const v = config.rbac_authorization_enabled ?? config.enable_rbac_authorization;
      if (isToken(v) || isTrue(v)) return undefined;
      return 'rbac_authorization_enabled is not true: access policies decide who reads keys and secrets';
    },
  },
  {
    id: 'key-vault-purge-protection',
    level: WARNING,
    resourceTypes: ['azurerm_key_vault'],
    description: 'Key Vaults have purge protection, so a deleted key (one that encrypts data) can be recovered.',
    fix: 'set purge_protection_enabled = true',
    check: ({ config }) => {
      const v = config.purge_protection_enabled;
      if (isToken(v) || isTrue(v)) return undefined;
      return isUnset(v) ? 'purge_protection_enabled is not set (the default is off)' : 'purge_protection_enabled is false';
    },
  },
];

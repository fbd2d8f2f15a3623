import { lazyModule } from '../private/lazy';
import type { KeyVaultKey } from '@cdktf/provider-azurerm/lib/key-vault-key';
import type { LogAnalyticsWorkspace } from '@cdktf/provider-azurerm/lib/log-analytics-workspace';
import type { MonitorDiagnosticSetting } from '@cdktf/provider-azurerm/lib/monitor-diagnostic-setting';
import type { RoleAssignment } from '@cdktf/provider-azurerm/lib/role-assignment';
import type { Sleep } from '@cdktf/provider-time/lib/sleep';
import { Construct } from 'constructs';
import { Duration } from '../core/duration';
import { isToken, shown } from '../private/validation';
import { waitAfter } from '../private/time';
import { literal, serviceHash, slug } from './data/names';

const dataAzurermClientConfigLib = lazyModule<typeof import('@cdktf/provider-azurerm/lib/data-azurerm-client-config')>(
  '@cdktf/provider-azurerm/lib/data-azurerm-client-config',
);
const keyVaultLib = lazyModule<typeof import('@cdktf/provider-azurerm/lib/key-vault')>('@cdktf/provider-azurerm/lib/key-vault');
const keyVaultKeyLib = lazyModule<typeof import('@cdktf/provider-azurerm/lib/key-vault-key')>('@cdktf/provider-azurerm/lib/key-vault-key');
const logAnalyticsWorkspaceLib = lazyModule<typeof import('@cdktf/provider-azurerm/lib/log-analytics-workspace')>(
  '@cdktf/provider-azurerm/lib/log-analytics-workspace',
);
const monitorDiagnosticSettingLib = lazyModule<typeof import('@cdktf/provider-azurerm/lib/monitor-diagnostic-setting')>(
  '@cdktf/provider-azurerm/lib/monitor-diagnostic-setting',
);
const roleAssignmentLib = lazyModule<typeof import('@cdktf/provider-azurerm/lib/role-assignment')>(
  '@cdktf/provider-azurerm/lib/role-assignment',
);

/**
 * Control-plane log categories sent to Log Analytics. `kube-audit-admin` is the audit log without get/list
 * events (who changed what; `kube-audit` adds every read and costs many times more), `guard` is the Entra ID /
 * Azure RBAC authorization decisions, `kube-apiserver` the API server's own log, `cluster-autoscaler` why GPU
 * pools did or did not scale (the first thing to read when a pool stays at zero). The controller manager and
 * scheduler logs are left out: high volume, rarely read.
 */
export const AKS_CONTROL_PLANE_LOG_CATEGORIES = ['kube-audit-admin', 'kube-apiserver', 'guard', 'cluster-autoscaler'];

/** Log Analytics retention bounds (days) of the PerGB2018 SKU. */
export const LOG_ANALYTICS_RETENTION = { min: 30, max: 730 };

/** An ARM id of a Log Analytics workspace. */
const WORKSPACE_ID = /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.OperationalInsights\/workspaces\/[^/]+$/i;
/** An ARM id of a Key Vault. */
const VAULT_ID = /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.KeyVault\/vaults\/[^/]+$/i;
/** A versioned Key Vault key id, as AKS KMS (and azurerm's key_management_service) require it. */
const VERSIONED_KEY_ID = /^https:\/\/[a-zA-Z0-9-]{3,24}\.vault\.[a-z0-9.-]+\/keys\/[a-zA-Z0-9-]{1,127}\/[a-zA-Z0-9]{32}$/;

/** Key Vault names: 3-24 letters, digits and '-', starting with a letter, ending alphanumeric, no '--'. */
export function validateKeyVaultName(prop: string, name: string | undefined): string[] {
  if (name === undefined || isToken(name)) return [];
  if (/^[a-zA-Z](?:[a-zA-Z0-9]|-(?!-)){1,22}[a-zA-Z0-9]$/.test(name)) return [];
  return [
    `${prop} ${shown(name)} is not a valid Key Vault name; use 3-24 letters, digits or single '-', starting with a letter and ending with a letter or digit (it must be unique across Azure)`,
  ];
}

/**
 * The security options of an AKS cluster (audit logs, secrets encryption, host encryption, Defender), set
 * through `Cloud.azure({...})` and handed on to AksPlatformCluster as they are.
 */
export interface AksSecurityOptions {
  /**
   * An existing Log Analytics workspace for the control-plane logs (a central security workspace), by ARM id.
   * A diagnostic setting on the cluster sends kube-audit-admin (the audit log without get/list), guard
   * (Entra ID / Azure RBAC decisions), kube-apiserver and cluster-autoscaler to it, in resource-specific
   * tables (AKSAuditAdmin, AKSControlPlane). The workspace's own retention applies.
   * @default - a new workspace '<clusterName>-logs' in the cluster's resource group, created where retained
   * data lives (the `dataStack` when set), kept for `controlPlaneLogRetentionDays`
   */
  readonly logAnalyticsWorkspaceId?: string;
  /**
   * Retention of the control-plane (audit) logs in the workspace the library creates, days (30-730). Log
   * Analytics bills ingestion per GB and retention beyond the first 31 days per GB and month.
   * @default 365
   */
  readonly controlPlaneLogRetentionDays?: number;
  /**
   * Keep the control-plane (audit) logs workspace when its stack is destroyed (`prevent_destroy`), as the
   * EKS audit log group is kept. False for throwaway environments: the workspace is then tagged
   * `throwaway` and deleted with its stack (Log Analytics keeps a deleted workspace recoverable for 14 days).
   * @default true
   */
  readonly retainLogsOnDestroy?: boolean;
  /**
   * Envelope-encrypt Kubernetes secrets in etcd with a Key Vault key (AKS KMS etcd encryption), as EKS
   * clusters here do with KMS. The control-plane identity gets 'Key Vault Crypto User' on the key before the
   * cluster is created or updated; turning it on for an existing cluster is an in-place update, after which
   * existing secrets are encrypted when next written (`kubectl get secrets -A -o json | kubectl replace -f -`
   * rewrites them all). Needs a cluster with Konnectivity (AKS's default tunnel) or API server VNet
   * integration.
   * @default true
   */
  readonly secretsEncryption?: boolean;
  /**
   * An existing key for secrets encryption: its versioned id ('https://<vault>.vault.azure.net/keys/<key>/<version>'),
   * with `secretsKeyVaultId`. The vault must allow public network access (AKS's KMS plugin calls it from the
   * control plane) and must never lose the key: the cluster's secrets become unreadable.
   * @default - a new Key Vault and key, created where retained data lives (the `dataStack` when set)
   */
  readonly secretsKeyVaultKeyId?: string;
  /**
   * ARM id of the vault holding `secretsKeyVaultKeyId`; the control-plane identity gets 'Key Vault Crypto
   * User' on it, so the deployer needs Microsoft.Authorization/roleAssignments/write there.
   * @default - the new vault
   */
  readonly secretsKeyVaultId?: string;
  /**
   * Name of the Key Vault the library creates for the secrets key: unique across Azure, 3-24 letters, digits
   * and '-'. A deleted vault keeps its name for its 90 days of soft delete.
   * @default - 'kv-<clusterName>-<hash>' (hash of construct path, cluster and resource group), at most 24 characters
   */
  readonly secretsKeyVaultName?: string;
  /**
   * Keep the Key Vault and key of secrets encryption (`prevent_destroy`, purge protection, 90 days of soft
   * delete): deleting them makes the cluster's secrets unreadable. The deployer gets 'Key Vault Crypto
   * Officer' on the vault to create the key. False for throwaway environments: no purge protection, tagged
   * `throwaway`, purged on destroy by azurerm's default `features.key_vault`. Purge protection cannot be
   * turned off once on: a retained vault stays retained.
   * @default true
   */
  readonly retainSecretsKeyOnDestroy?: boolean;
  /**
   * Host-based encryption on the accelerator pools: temp disks and OS/data disk caches encrypted on the VM
   * host (disks themselves are always encrypted at rest by Azure Storage). The VM size must support it
   * (`az vm list-skus --size <size> --query "[].capabilities[?name=='EncryptionAtHostSupported']"`); a
   * subscription that rejects it ("EncryptionAtHost feature is not enabled for this subscription") needs
   * `az feature register --namespace Microsoft.Compute --name EncryptionAtHost` once, which the library does
   * not do for you (subscription-wide, and unregistered again on destroy). Changing it rotates each pool
   * through its temporary pool (new nodes, no pool replacement).
   * @default true
   */
  readonly hostEncryption?: boolean;
  /**
   * Microsoft Defender for Containers' sensor on the cluster (runtime threat detection), reporting to the
   * control-plane logs workspace. Costs money while on: the Defender for Containers plan bills per vCore of
   * the cluster's nodes (list price about US$6.87 per vCore and month; a 96-vCore GPU node is about
   * US$660 a month) and the plan must be enabled on the subscription (Defender for Cloud,
   * `azurerm_security_center_subscription_pricing` 'Containers').
   * @default false
   */
  readonly defenderForContainers?: boolean;
}

/** Problems of the existing workspace / key props (`<prop> <value> <problem>; <fix>`). */
export function validateAksSecurityOptions(o: AksSecurityOptions): string[] {
  const out: string[] = [];
  const ws = o.logAnalyticsWorkspaceId;
  if (ws !== undefined && !isToken(ws) && !WORKSPACE_ID.test(ws))
    out.push(
      `logAnalyticsWorkspaceId ${shown(ws)} is not a Log Analytics workspace id; pass '/subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.OperationalInsights/workspaces/<name>', or leave it unset for a new workspace`,
    );
  const days = o.controlPlaneLogRetentionDays;
  if (days !== undefined && !isToken(days)) {
    if (ws !== undefined)
      out.push(
        `controlPlaneLogRetentionDays ${days} applies to the workspace the library creates, but logAnalyticsWorkspaceId is set; set the retention on that workspace, or leave one of them unset`,
      );
    else if (!Number.isInteger(days) || days < LOG_ANALYTICS_RETENTION.min || days > LOG_ANALYTICS_RETENTION.max)
      out.push(
        `controlPlaneLogRetentionDays ${days} is not a Log Analytics retention; use a whole number of days in ${LOG_ANALYTICS_RETENTION.min}-${LOG_ANALYTICS_RETENTION.max} (365 or more for an audit trail)`,
      );
  }
  if (o.retainLogsOnDestroy !== undefined && ws !== undefined)
    out.push(
      `retainLogsOnDestroy ${o.retainLogsOnDestroy} applies to the workspace the library creates, but logAnalyticsWorkspaceId is set; leave one of them unset`,
    );
  const keyId = o.secretsKeyVaultKeyId;
  const vaultId = o.secretsKeyVaultId;
  const off = o.secretsEncryption === false;
  for (const [prop, value] of [
    ['secretsKeyVaultKeyId', keyId],
    ['secretsKeyVaultId', vaultId],
    ['secretsKeyVaultName', o.secretsKeyVaultName],
    ['retainSecretsKeyOnDestroy', o.retainSecretsKeyOnDestroy],
  ] as const) {
    if (off && value !== undefined) out.push(`${prop} ${shown(value)} is set, but secretsEncryption is false; remove one of them`);
  }
  if (off) return out;
  if (keyId !== undefined && !isToken(keyId) && !VERSIONED_KEY_ID.test(keyId))
    out.push(
      `secretsKeyVaultKeyId ${shown(keyId)} is not a versioned Key Vault key id; pass 'https://<vault>.vault.azure.net/keys/<key>/<version>' (AKS KMS needs the version), e.g. azurerm_key_vault_key.id`,
    );
  if (vaultId !== undefined && !isToken(vaultId) && !VAULT_ID.test(vaultId))
    out.push(
      `secretsKeyVaultId ${shown(vaultId)} is not a Key Vault id; pass '/subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.KeyVault/vaults/<name>'`,
    );
  if ((keyId === undefined) !== (vaultId === undefined))
    out.push(
      keyId === undefined
        ? `secretsKeyVaultId ${shown(vaultId)} is set without secretsKeyVaultKeyId; pass both (the key, and its vault where the cluster identity is granted 'Key Vault Crypto User'), or neither for a new vault and key`
        : `secretsKeyVaultKeyId ${shown(keyId)} is set without secretsKeyVaultId; pass both (the key, and its vault where the cluster identity is granted 'Key Vault Crypto User'), or neither for a new vault and key`,
    );
  if (keyId !== undefined) {
    for (const [prop, value] of [
      ['secretsKeyVaultName', o.secretsKeyVaultName],
      ['retainSecretsKeyOnDestroy', o.retainSecretsKeyOnDestroy],
    ] as const)
      if (value !== undefined)
        out.push(
          `${prop} ${shown(value)} applies to the Key Vault the library creates, but secretsKeyVaultKeyId is set; leave one of them unset`,
        );
  }
  out.push(...validateKeyVaultName('secretsKeyVaultName', o.secretsKeyVaultName));
  return out;
}

/** Props of AksAuditWorkspace. */
export interface AksAuditWorkspaceProps {
  /** Workspace name. */
  readonly name: string;
  /** Resource group. */
  readonly resourceGroupName: string;
  /** Location. */
  readonly location: string;
  /** Retention in days (30-730). */
  readonly retentionInDays: number;
  /** Keep the workspace (`prevent_destroy`) when its stack is destroyed. */
  readonly retainOnDestroy: boolean;
  /** Tags. */
  readonly tags: { [key: string]: string };
}

/**
 * The Log Analytics workspace that holds an AKS cluster's control-plane (audit) logs: the audit trail is
 * data, kept beyond the cluster like the EKS audit log group. Created where retained data lives (the
 * cluster's data stack), with `prevent_destroy` unless `retainOnDestroy` is false (then tagged throwaway).
 */
export class AksAuditWorkspace extends Construct {
  /** The workspace. */
  public readonly workspace: LogAnalyticsWorkspace;

  constructor(scope: Construct, id: string, props: AksAuditWorkspaceProps) {
    super(scope, id);
    this.workspace = new (logAnalyticsWorkspaceLib().LogAnalyticsWorkspace)(this, 'Resource', {
      name: props.name,
      resourceGroupName: props.resourceGroupName,
      location: props.location,
      sku: 'PerGB2018',
      retentionInDays: props.retentionInDays,
      tags: props.retainOnDestroy ? { ...props.tags } : { ...props.tags, throwaway: 'true' },
      lifecycle: props.retainOnDestroy ? { preventDestroy: true } : undefined,
    });
  }
}

/**
 * The diagnostic setting that sends a cluster's control-plane logs to a workspace. Resource-specific tables
 * ('Dedicated': AKSAudit, AKSAuditAdmin, AKSControlPlane), as AKS recommends; Azure reads 'Dedicated' back
 * as set, so plans stay clean. No metric block: azurerm 4.x keeps `metric`/`enabled_metric` computed when
 * unset (no drift), and platform metrics go to managed Prometheus instead.
 */
export function aksControlPlaneLogs(scope: Construct, id: string, clusterId: string, workspaceId: string): MonitorDiagnosticSetting {
  return new (monitorDiagnosticSettingLib().MonitorDiagnosticSetting)(scope, id, {
    name: 'ai-platform-control-plane',
    targetResourceId: clusterId,
    logAnalyticsWorkspaceId: workspaceId,
    logAnalyticsDestinationType: 'Dedicated',
    enabledLog: AKS_CONTROL_PLANE_LOG_CATEGORIES.map((category) => ({ category })),
  });
}

/** Props of AksSecretsKey. */
export interface AksSecretsKeyProps {
  /** Cluster name (part of the vault's derived name). */
  readonly clusterName: string;
  /** Resource group of the vault. */
  readonly resourceGroupName: string;
  /** Location. */
  readonly location: string;
  /** Vault name (see `aksSecretsVaultName`). */
  readonly vaultName: string;
  /**
   * Object id of the identity that runs Terraform (it creates the key: 'Key Vault Crypto Officer').
   * @default - the signed-in identity (azurerm_client_config)
   */
  readonly deployerPrincipalId?: string;
  /** How long the key waits for the deployer's data-plane role. */
  readonly propagationDelay: Duration;
  /** Keep vault and key (`prevent_destroy`, purge protection). */
  readonly retainOnDestroy: boolean;
  /** Tags. */
  readonly tags: { [key: string]: string };
}

/**
 * A Key Vault and an RSA key for the envelope encryption of an AKS cluster's Kubernetes secrets (KMS etcd
 * encryption). Deleting the key, its vault or the cluster identity's access makes the cluster's secrets
 * unreadable (AKS documents it as unsupported), so both are retained data: `prevent_destroy`, purge
 * protection and 90 days of soft delete, unless `retainOnDestroy` is false (then purged on destroy).
 *
 * Azure RBAC authorization; public network access stays on because the KMS plugin reaches the vault from
 * the AKS control plane, whose addresses are not the user's: AKS does not support a vault firewall with
 * public access restricted to networks, or disabled, without API server VNet integration. Every data-plane
 * operation still needs an Entra token and an RBAC role on the vault.
 */
export class AksSecretsKey extends Construct {
  /** The vault. */
  public readonly vaultId: string;
  /** The vault's name. */
  public readonly vaultName: string;
  /** The key; `id` is the versioned key id KMS needs. */
  public readonly key: KeyVaultKey;

  constructor(scope: Construct, id: string, props: AksSecretsKeyProps) {
    super(scope, id);
    const client = new (dataAzurermClientConfigLib().DataAzurermClientConfig)(this, 'Client', {});
    const name = props.vaultName;
    const tags = props.retainOnDestroy ? { ...props.tags } : { ...props.tags, throwaway: 'true' };
    const vault = new (keyVaultLib().KeyVault)(this, 'Vault', {
      name,
      resourceGroupName: props.resourceGroupName,
      location: props.location,
      tenantId: client.tenantId,
      skuName: 'standard',
      rbacAuthorizationEnabled: true,
      // Purge protection cannot be turned off once on (azurerm refuses the change): RETAIN is for good.
      purgeProtectionEnabled: props.retainOnDestroy,
      softDeleteRetentionDays: 90,
      publicNetworkAccessEnabled: true,
      networkAcls: { defaultAction: 'Allow', bypass: 'AzureServices' },
      tags,
      lifecycle: props.retainOnDestroy ? { preventDestroy: true } : undefined,
    });
    this.vaultId = vault.id;
    this.vaultName = vault.name;
    // Creating a key is a data-plane operation: Azure RBAC on the vault, applied within minutes.
    const officer = new (roleAssignmentLib().RoleAssignment)(this, 'DeployerCryptoOfficer', {
      scope: vault.id,
      roleDefinitionName: 'Key Vault Crypto Officer',
      principalId: props.deployerPrincipalId ?? client.objectId,
      description: 'Terraform creates and reads the AKS secrets key',
    });
    const applied = waitAfter(this, 'DeployerCryptoOfficerPropagation', props.propagationDelay, [officer], { assignment: officer.id });
    this.key = new (keyVaultKeyLib().KeyVaultKey)(this, 'Key', {
      name: 'aks-secrets',
      keyVaultId: vault.id,
      keyType: 'RSA',
      keySize: 2048,
      keyOpts: ['decrypt', 'encrypt', 'unwrapKey', 'wrapKey'],
      // A new version every year, none ever expires: the cluster keeps using the version it was given until
      // the next apply hands it the new one (an in-place update); an expiring version would lock the cluster
      // out of its secrets if nobody applied in time.
      rotationPolicy: { automatic: { timeAfterCreation: 'P365D' } },
      tags,
      lifecycle: props.retainOnDestroy ? { preventDestroy: true } : undefined,
      dependsOn: [officer, applied],
    });
  }
}

/**
 * 'kv-<cluster>-<hash>' (at most 24 characters, unique across Azure as far as a name can be): the hash is of
 * the cluster construct's path, cluster and resource group, so the name stays when the vault moves between
 * the cluster's stack and a data stack (a new name would be a new vault, refused by prevent_destroy).
 */
export function aksSecretsVaultName(cluster: Construct, clusterName: string, resourceGroupName: string): string {
  const hash = serviceHash(cluster, clusterName, resourceGroupName);
  const head = `kv-${slug(literal(clusterName) ?? '')}`.slice(0, 24 - hash.length - 1).replace(/-+$/, '');
  return `${head}-${hash}`;
}

/**
 * Gives the cluster's control-plane identity 'Key Vault Crypto User' on `scope` (the key, or a user's vault),
 * and waits for it to apply: AKS checks its access to the key when it turns KMS on.
 */
export function grantKeyToCluster(
  scope: Construct,
  id: string,
  keyScope: string,
  principalId: string,
  delay: Duration,
): { assignment: RoleAssignment; applied: Sleep } {
  const assignment = new (roleAssignmentLib().RoleAssignment)(scope, id, {
    scope: keyScope,
    roleDefinitionName: 'Key Vault Crypto User',
    principalId,
    principalType: 'ServicePrincipal',
    description: 'AKS KMS plugin: envelope encryption of Kubernetes secrets',
  });
  const applied = waitAfter(scope, `${id}Propagation`, delay, [assignment], { assignment: assignment.id });
  return { assignment, applied };
}

import { TerraformResource, TerraformStack } from 'cdktf';
import { PlatformSecurityChecks } from '../../lib';
import { checkedStack, findings, fired } from './fixtures';

/** A resource of any type whose configuration is exactly `config` (written as an escape-hatch override). */
function raw(stack: TerraformStack, id: string, type: string, config: { [key: string]: unknown }): TerraformResource {
  const r = new TerraformResource(stack, id, { terraformResourceType: type });
  for (const [k, v] of Object.entries(config)) r.addOverride(k, v);
  return r;
}

/** `raw`, plus what a cluster needs to pass the rules across resources (its audit diagnostic setting). */
function single(stack: TerraformStack, type: string, config: { [key: string]: unknown }): void {
  const r = raw(stack, 'R', type, config);
  if (type === 'azurerm_kubernetes_cluster')
    raw(stack, 'Audit', 'azurerm_monitor_diagnostic_setting', {
      target_resource_id: r.getStringAttribute('id'),
      enabled_log: [{ category_group: 'audit' }],
    });
}

const eks = {
  vpc_config: { endpoint_public_access: false },
  encryption_config: { resources: ['secrets'], provider: { key_arn: 'arn:key' } },
  enabled_cluster_log_types: ['api', 'audit', 'authenticator'],
};
const aks = {
  local_account_disabled: true,
  azure_active_directory_role_based_access_control: { azure_rbac_enabled: true },
  private_cluster_enabled: true,
  key_management_service: { key_vault_key_id: 'https://kv/keys/k' },
};
const hardened = {
  run_as_non_root: true,
  allow_privilege_escalation: false,
  capabilities: { drop: ['ALL'] },
  seccomp_profile: { type: 'RuntimeDefault' },
  read_only_root_filesystem: true,
};
const deployment = (sc: object, pod: object = {}) => ({
  metadata: { name: 'app', namespace: 'apps' },
  spec: { template: { spec: { container: [{ name: 'app', image: 'app:1', security_context: { ...hardened, ...sc } }], ...pod } } },
});
const rds = { storage_encrypted: true, deletion_protection: true, backup_retention_period: 7 };
const storage = { min_tls_version: 'TLS1_2', allow_nested_items_to_be_public: false, shared_access_key_enabled: false };

/** [rule, resource type, a configuration breaking only that rule, a compliant one]. */
const CASES: [string, string, object, object][] = [
  ['eks-secrets-encryption', 'aws_eks_cluster', { ...eks, encryption_config: { resources: ['configmaps'] } }, eks],
  [
    'eks-public-endpoint-allowlist',
    'aws_eks_cluster',
    { ...eks, vpc_config: {} },
    { ...eks, vpc_config: { public_access_cidrs: ['198.51.100.0/24'] } },
  ],
  ['eks-control-plane-logs', 'aws_eks_cluster', { ...eks, enabled_cluster_log_types: ['api'] }, eks],
  ['ec2-imdsv2', 'aws_instance', { metadata_options: { http_tokens: 'optional' } }, { metadata_options: { http_tokens: 'required' } }],
  [
    'ec2-imds-hop-limit',
    'aws_launch_template',
    { metadata_options: { http_tokens: 'required' } },
    { metadata_options: { http_tokens: 'required', http_put_response_hop_limit: 1 } },
  ],
  ['rds-storage-encrypted', 'aws_rds_cluster', { ...rds, storage_encrypted: false }, rds],
  ['rds-not-public', 'aws_db_instance', { ...rds, publicly_accessible: true }, rds],
  ['rds-deletion-protection', 'aws_db_instance', { ...rds, deletion_protection: false }, rds],
  ['rds-backup-retention', 'aws_rds_cluster', { ...rds, backup_retention_period: 3 }, rds],
  [
    'elasticache-in-transit-encryption',
    'aws_elasticache_replication_group',
    { user_group_ids: ['g'] },
    { user_group_ids: ['g'], transit_encryption_enabled: true },
  ],
  [
    'elasticache-auth',
    'aws_elasticache_replication_group',
    { transit_encryption_enabled: true },
    { transit_encryption_enabled: true, auth_token: '${var.token}' },
  ],
  ['efs-encryption', 'aws_efs_file_system', {}, { encrypted: 'true' }],
  ['kms-key-rotation', 'aws_kms_key', { description: 'k' }, { enable_key_rotation: true }],
  ['aks-local-accounts', 'azurerm_kubernetes_cluster', { ...aks, local_account_disabled: false }, aks],
  [
    'aks-entra-rbac',
    'azurerm_kubernetes_cluster',
    { ...aks, azure_active_directory_role_based_access_control: { azure_rbac_enabled: false } },
    aks,
  ],
  [
    'aks-api-server-access',
    'azurerm_kubernetes_cluster',
    { ...aks, private_cluster_enabled: false, api_server_access_profile: { authorized_ip_ranges: ['0.0.0.0/0'] } },
    { ...aks, private_cluster_enabled: false, api_server_access_profile: { authorized_ip_ranges: ['198.51.100.7/32'] } },
  ],
  ['aks-kms', 'azurerm_kubernetes_cluster', { ...aks, key_management_service: undefined }, aks],
  ['postgres-flexible-not-public', 'azurerm_postgresql_flexible_server', {}, { public_network_access_enabled: false }],
  ['storage-min-tls', 'azurerm_storage_account', { ...storage, min_tls_version: 'TLS1_0' }, storage],
  ['storage-no-public-blobs', 'azurerm_storage_account', { ...storage, allow_nested_items_to_be_public: true }, storage],
  ['storage-shared-key-disabled', 'azurerm_storage_account', { ...storage, shared_access_key_enabled: undefined }, storage],
  [
    'key-vault-rbac',
    'azurerm_key_vault',
    { purge_protection_enabled: true },
    { purge_protection_enabled: true, rbac_authorization_enabled: true },
  ],
  [
    'key-vault-purge-protection',
    'azurerm_key_vault',
    { rbac_authorization_enabled: true },
    { rbac_authorization_enabled: true, purge_protection_enabled: true },
  ],
  [
    'k8s-run-as-non-root',
    'kubernetes_deployment_v1',
    deployment({ run_as_non_root: undefined }),
    deployment({ run_as_non_root: undefined }, { security_context: { run_as_user: 1000 } }),
  ],
  ['k8s-no-privilege-escalation', 'kubernetes_stateful_set_v1', deployment({ allow_privilege_escalation: true }), deployment({})],
  ['k8s-drop-all-capabilities', 'kubernetes_daemon_set_v1', deployment({ capabilities: { drop: ['NET_RAW'] } }), deployment({})],
  [
    'k8s-seccomp',
    'kubernetes_job_v1',
    deployment({ seccomp_profile: undefined }),
    deployment({ seccomp_profile: undefined }, { security_context: { seccomp_profile: { type: 'RuntimeDefault' } } }),
  ],
  ['k8s-read-only-root-fs', 'kubernetes_deployment', deployment({ read_only_root_filesystem: false }), deployment({})],
  ['k8s-not-privileged', 'kubernetes_deployment_v1', deployment({ privileged: true }), deployment({ privileged: false })],
  [
    'k8s-no-host-path',
    'kubernetes_deployment_v1',
    deployment({}, { volume: [{ name: 'host', host_path: { path: '/' } }] }),
    deployment({}, { volume: [{ name: 'tmp', empty_dir: {} }] }),
  ],
  ['k8s-no-host-namespaces', 'kubernetes_deployment_v1', deployment({}, { host_network: true }), deployment({}, { host_network: false })],
  [
    'k8s-pod-security-enforce',
    'kubernetes_namespace_v1',
    { metadata: { name: 'x' } },
    { metadata: { name: 'x', labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } } },
  ],
  [
    'helm-literal-secret',
    'helm_release',
    { values: ['auth:\n  password: hunter2hunter2\n'] },
    { values: ['auth:\n  existingSecret: db-login\n  password: "${var.pw}"\n'] },
  ],
];

describe('each rule', () => {
  test('has a case below', () => {
    const covered = new Set([
      ...CASES.map(([id]) => id),
      'vpc-flow-logs',
      's3-public-access-block',
      's3-encryption',
      'aks-audit-logs',
      'k8s-default-deny-ingress',
      'k8s-default-deny-egress',
    ]);
    expect(PlatformSecurityChecks.rules.map((r) => r.id).filter((id) => !covered.has(id))).toEqual([]);
  });

  test.each(CASES)('%s fires on %s breaking it, and only it', (id, type, bad) => {
    const { stack } = checkedStack();
    single(stack, type, bad as any);
    const level = PlatformSecurityChecks.rules.find((r) => r.id === id)!.level === 'error' ? 'ERROR' : 'WARN';
    expect(fired(stack)).toEqual([`${level} ${id} test/R`]);
  });

  test.each(CASES)('%s is quiet on a compliant %s', (_id, type, _bad, good) => {
    const { stack } = checkedStack();
    single(stack, type, good as any);
    expect(fired(stack)).toEqual([]);
  });
});

describe('rules across resources', () => {
  test('vpc-flow-logs: a VPC needs a flow log referencing it', () => {
    const { stack } = checkedStack();
    const logged = raw(stack, 'Logged', 'aws_vpc', { cidr_block: '10.0.0.0/16' });
    raw(stack, 'Log', 'aws_flow_log', { vpc_id: logged.getStringAttribute('id'), traffic_type: 'ALL' });
    raw(stack, 'Unlogged', 'aws_vpc', { cidr_block: '10.1.0.0/16' });
    expect(fired(stack)).toEqual(['WARN vpc-flow-logs test/Unlogged']);
  });

  test('vpc-flow-logs: a flow log whose VPC is a variable may be any VPC, so none is reported', () => {
    const { stack } = checkedStack();
    raw(stack, 'Vpc', 'aws_vpc', { cidr_block: '10.0.0.0/16' });
    raw(stack, 'Log', 'aws_flow_log', { vpc_id: '${var.vpc_id}' });
    expect(fired(stack)).toEqual([]);
  });

  test('aks-audit-logs: a diagnostic setting with kube-audit-admin on the cluster', () => {
    const { stack } = checkedStack();
    const audited = raw(stack, 'Audited', 'azurerm_kubernetes_cluster', aks);
    raw(stack, 'Diag', 'azurerm_monitor_diagnostic_setting', {
      target_resource_id: audited.getStringAttribute('id'),
      enabled_log: [{ category: 'kube-audit-admin' }],
    });
    const metricsOnly = raw(stack, 'MetricsOnly', 'azurerm_kubernetes_cluster', aks);
    raw(stack, 'Diag2', 'azurerm_monitor_diagnostic_setting', {
      target_resource_id: metricsOnly.getStringAttribute('id'),
      enabled_log: [{ category: 'kube-apiserver' }],
    });
    expect(fired(stack)).toEqual(['WARN aks-audit-logs test/MetricsOnly']);
  });

  test('default-deny: namespaces with workloads need deny-all ingress and egress policies', () => {
    const { stack } = checkedStack();
    const label = { 'pod-security.kubernetes.io/enforce': 'restricted' };
    const denied = raw(stack, 'Denied', 'kubernetes_namespace_v1', { metadata: { name: 'denied', labels: label } });
    for (const t of ['Ingress', 'Egress'])
      raw(stack, `Deny${t}`, 'kubernetes_network_policy_v1', {
        // The namespace by reference: resolved to the namespace resource.
        metadata: { name: `deny-${t}`, namespace: denied.getStringAttribute('metadata.0.name') },
        spec: { pod_selector: {}, policy_types: [t] },
      });
    raw(stack, 'InDenied', 'kubernetes_deployment_v1', { ...deployment({}), metadata: { name: 'a', namespace: 'denied' } });
    raw(stack, 'Open', 'kubernetes_namespace_v1', { metadata: { name: 'open', labels: label } });
    // Allows only: it selects every pod but has an ingress rule, so it denies nothing by default.
    raw(stack, 'AllowAll', 'kubernetes_network_policy_v1', {
      metadata: { name: 'allow', namespace: 'open' },
      spec: { pod_selector: {}, policy_types: ['Ingress'], ingress: [{ from: [{ pod_selector: {} }] }] },
    });
    raw(stack, 'Chart', 'helm_release', { name: 'c', chart: 'c', namespace: 'open' });
    raw(stack, 'Empty', 'kubernetes_namespace_v1', { metadata: { name: 'empty', labels: label } });
    expect(fired(stack)).toEqual(['ERROR k8s-default-deny-ingress test/Open', 'WARN k8s-default-deny-egress test/Open']);
  });

  test('helm-literal-secret: literal secrets in values and set, never references or tokens', () => {
    const { stack } = checkedStack();
    raw(stack, 'Url', 'helm_release', { values: ['db:\n  url: postgres://app:s3cret@db:5432/app\n'] });
    raw(stack, 'Set', 'helm_release', { set: [{ name: 'auth.apiKey', value: 'sk-live-123' }] });
    raw(stack, 'Fine', 'helm_release', {
      values: [
        'grafana:\n  admin:\n    existingSecret: grafana-admin\n    passwordKey: admin-password\n  token: ""\nserviceAccount:\n  automountServiceAccountToken: false\n',
        // Karpenter's EC2NodeClass: IMDSv2 required is a switch, not a token.
        'manifests:\n  - spec:\n      metadataOptions:\n        httpTokens: required\n',
      ],
      set: [{ name: 'auth.secretName', value: 'db-login' }],
      set_sensitive: [{ name: 'auth.password', value: 'from-a-variable' }],
    });
    expect(fired(stack)).toEqual(['ERROR helm-literal-secret test/Set', 'ERROR helm-literal-secret test/Url']);
  });
});

describe('messages', () => {
  test('name the containers that break a rule, in one finding per workload', () => {
    const { stack } = checkedStack();
    const two = deployment({ privileged: true });
    (two.spec.template.spec as any).init_container = [
      { name: 'init', image: 'init:1', security_context: { ...hardened, privileged: true } },
    ];
    raw(stack, 'Two', 'kubernetes_deployment_v1', two);
    raw(stack, 'One', 'kubernetes_deployment_v1', deployment({ privileged: true }));
    expect(findings(stack)).toEqual([
      "ERROR [test/One] k8s-not-privileged container 'app' runs privileged; remove security_context.privileged, or suppress with the reason the workload needs the host (a device plugin)",
      "ERROR [test/Two] k8s-not-privileged containers 'init', 'app' run privileged; remove security_context.privileged, or suppress with the reason the workload needs the host (a device plugin)",
    ]);
  });
});

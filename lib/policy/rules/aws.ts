import { block, isFalse, isToken, isTrue, isUnset, Rule, SecurityRuleLevel, shown, StackView, ResourceView } from '../rule';

const { ERROR, WARNING } = SecurityRuleLevel;

/**
 * The resources of `types` whose `attribute` references `target`; undefined when one of them cannot be
 * told (its reference is only known at apply), so a missing link is never reported on a guess.
 */
function linked(stack: StackView, target: ResourceView, types: string[], attribute: string): ResourceView[] | undefined {
  const found: ResourceView[] = [];
  for (const r of stack.ofType(...types)) {
    const refers = stack.refersTo(r.config[attribute], target);
    if (refers === undefined) return undefined;
    if (refers) found.push(r);
  }
  return found;
}

const REQUIRED_EKS_LOGS = ['api', 'audit', 'authenticator'];

/** Rules over AWS resources: EKS, EC2 launch templates, VPC, S3, RDS/Aurora, ElastiCache, EFS, KMS. */
export const AWS_RULES: Rule[] = [
  {
    id: 'eks-secrets-encryption',
    level: ERROR,
    resourceTypes: ['aws_eks_cluster'],
    description: 'Kubernetes Secrets are envelope-encrypted in etcd with a customer-managed KMS key.',
    fix: 'set encryption_config { resources = ["secrets"], provider { key_arn = <KMS key ARN> } } (EksPlatformCluster does by default)',
    check: ({ config }) => {
      const enc = block(config.encryption_config);
      if (isToken(config.encryption_config)) return undefined;
      if (!enc) return 'encryption_config is not set: Secrets are stored with the AWS-owned key only';
      if (isToken(enc.resources)) return undefined;
      const resources: unknown[] = Array.isArray(enc.resources) ? enc.resources : [];
      if (resources.some(isToken) || resources.includes('secrets')) return undefined;
      return `encryption_config.resources ${shown(resources)} does not include 'secrets'`;
    },
  },
  {
    id: 'eks-public-endpoint-allowlist',
    level: ERROR,
    resourceTypes: ['aws_eks_cluster'],
    description: 'A public EKS API endpoint is reachable only from an allow-list of CIDRs, never 0.0.0.0/0.',
    fix: "set vpc_config.public_access_cidrs to the deployers' ranges, or endpoint_public_access = false (EndpointAccess.publicFrom / EndpointAccess.PRIVATE)",
    check: ({ config }) => {
      const vpc = block(config.vpc_config) ?? {};
      const pub = vpc.endpoint_public_access;
      if (isToken(pub) || isFalse(pub)) return undefined;
      const cidrs = vpc.public_access_cidrs;
      if (isToken(cidrs)) return undefined;
      if (isUnset(cidrs) || (Array.isArray(cidrs) && cidrs.length === 0))
        return 'the API endpoint is public and vpc_config.public_access_cidrs is not set (AWS opens it to 0.0.0.0/0)';
      if (Array.isArray(cidrs) && cidrs.includes('0.0.0.0/0'))
        return "the API endpoint is public and vpc_config.public_access_cidrs includes '0.0.0.0/0'";
      return undefined;
    },
  },
  {
    id: 'eks-control-plane-logs',
    level: ERROR,
    resourceTypes: ['aws_eks_cluster'],
    description: 'The EKS control plane sends the api, audit and authenticator logs to CloudWatch, so access is auditable.',
    fix: `set enabled_cluster_log_types to include ${REQUIRED_EKS_LOGS.map((t) => `"${t}"`).join(', ')}`,
    check: ({ config }) => {
      const types = config.enabled_cluster_log_types;
      if (isToken(types)) return undefined;
      const list: unknown[] = Array.isArray(types) ? types : [];
      if (list.some(isToken)) return undefined;
      const missing = REQUIRED_EKS_LOGS.filter((t) => !list.includes(t));
      return missing.length ? `enabled_cluster_log_types ${shown(list)} lacks ${missing.join(', ')}` : undefined;
    },
  },
  {
    id: 'ec2-imdsv2',
    level: ERROR,
    resourceTypes: ['aws_launch_template', 'aws_instance'],
    description: 'Instances require IMDSv2 (session tokens), which blocks SSRF-style reads of node credentials.',
    fix: 'set metadata_options { http_tokens = "required" }',
    check: ({ config }) => {
      const md = block(config.metadata_options);
      const tokens = md?.http_tokens;
      if (isToken(config.metadata_options) || isToken(tokens) || tokens === 'required') return undefined;
      if (isFalse(md?.http_endpoint) || md?.http_endpoint === 'disabled') return undefined;
      return isUnset(tokens)
        ? 'metadata_options.http_tokens is not set (IMDSv1 stays usable)'
        : `metadata_options.http_tokens ${shown(tokens)} allows IMDSv1`;
    },
  },
  {
    id: 'ec2-imds-hop-limit',
    level: WARNING,
    resourceTypes: ['aws_launch_template'],
    description: 'The IMDS response hop limit is 1, so pods (one network hop further) cannot read the node role credentials.',
    fix: 'set metadata_options { http_put_response_hop_limit = 1 } and give pods their own identity (EKS Pod Identity)',
    check: ({ config }) => {
      const md = block(config.metadata_options);
      const hop = md?.http_put_response_hop_limit;
      if (isToken(config.metadata_options) || isToken(hop)) return undefined;
      if (md?.http_endpoint === 'disabled') return undefined;
      if (isUnset(hop)) return 'metadata_options.http_put_response_hop_limit is not set (AL2023 AMIs default to 2)';
      return Number(hop) > 1
        ? `metadata_options.http_put_response_hop_limit ${shown(hop)} lets pods reach the node credentials`
        : undefined;
    },
  },
  {
    id: 'vpc-flow-logs',
    level: WARNING,
    resourceTypes: ['aws_vpc'],
    description: 'Every VPC has a flow log in the same stack, for incident response.',
    fix: 'add an aws_flow_log with vpc_id = this VPC (AwsNetwork creates one)',
    check: (vpc, stack) => {
      const logs = linked(stack, vpc, ['aws_flow_log'], 'vpc_id');
      return logs && logs.length === 0 ? 'no aws_flow_log in the stack records this VPC' : undefined;
    },
  },
  {
    id: 's3-public-access-block',
    level: ERROR,
    resourceTypes: ['aws_s3_bucket'],
    description: 'Every bucket has a public access block with all four settings on (or the account has one).',
    fix: 'add an aws_s3_bucket_public_access_block for the bucket with block_public_acls, block_public_policy, ignore_public_acls and restrict_public_buckets = true (ObjectStore does)',
    check: (bucket, stack) => {
      const FLAGS = ['block_public_acls', 'block_public_policy', 'ignore_public_acls', 'restrict_public_buckets'];
      const complete = (c: Record<string, unknown>) => FLAGS.every((f) => isTrue(c[f]) || isToken(c[f]));
      if (stack.ofType('aws_s3_account_public_access_block').some((a) => complete(a.config))) return undefined;
      const blocks_ = linked(stack, bucket, ['aws_s3_bucket_public_access_block'], 'bucket');
      if (!blocks_) return undefined;
      if (blocks_.length === 0) return 'no aws_s3_bucket_public_access_block in the stack covers this bucket';
      const off = FLAGS.filter((f) => !blocks_.some((b) => isTrue(b.config[f]) || isToken(b.config[f])));
      return off.length ? `its public access block leaves ${off.join(', ')} off` : undefined;
    },
  },
  {
    id: 's3-encryption',
    level: ERROR,
    resourceTypes: ['aws_s3_bucket'],
    description: 'Every bucket has an explicit default encryption configuration (a KMS key for data the platform keeps).',
    fix: 'add an aws_s3_bucket_server_side_encryption_configuration for the bucket with sse_algorithm = "aws:kms" (ObjectStore does)',
    check: (bucket, stack) => {
      const sse = linked(stack, bucket, ['aws_s3_bucket_server_side_encryption_configuration'], 'bucket');
      return sse && sse.length === 0 ? 'no aws_s3_bucket_server_side_encryption_configuration in the stack covers this bucket' : undefined;
    },
  },
  {
    id: 'rds-storage-encrypted',
    level: ERROR,
    resourceTypes: ['aws_db_instance', 'aws_rds_cluster'],
    description: 'RDS and Aurora storage, snapshots and backups are encrypted at rest.',
    fix: 'set storage_encrypted = true, with kms_key_id of a customer-managed key',
    check: ({ type, config }) => {
      const v = config.storage_encrypted;
      if (isToken(v) || isTrue(v)) return undefined;
      if (type === 'aws_db_instance' && !isUnset(config.replicate_source_db)) return undefined;
      if (type === 'aws_rds_cluster' && config.engine_mode === 'serverless') return undefined;
      return isUnset(v)
        ? 'storage_encrypted is not set (the default is unencrypted)'
        : `storage_encrypted ${shown(v)} leaves the data unencrypted`;
    },
  },
  {
    id: 'rds-not-public',
    level: ERROR,
    resourceTypes: ['aws_db_instance', 'aws_rds_cluster_instance'],
    description: 'Databases get no public IP address.',
    fix: 'set publicly_accessible = false and reach the database from inside the VPC',
    check: ({ config }) => (isTrue(config.publicly_accessible) ? 'publicly_accessible is true' : undefined),
  },
  {
    id: 'rds-deletion-protection',
    level: WARNING,
    resourceTypes: ['aws_db_instance', 'aws_rds_cluster'],
    description: 'Databases have deletion protection, so a destroy or replacement cannot drop them by accident.',
    fix: 'set deletion_protection = true (the default of PostgresDatabase unless removalPolicy is DESTROY)',
    check: ({ config }) => {
      const v = config.deletion_protection;
      if (isToken(v) || isTrue(v)) return undefined;
      return isUnset(v) ? 'deletion_protection is not set (the default is off)' : 'deletion_protection is false';
    },
  },
  {
    id: 'rds-backup-retention',
    level: WARNING,
    resourceTypes: ['aws_db_instance', 'aws_rds_cluster'],
    description: 'Automated backups are kept at least 7 days.',
    fix: 'set backup_retention_period to 7 or more',
    check: ({ config }) => {
      const v = config.backup_retention_period;
      if (isToken(v)) return undefined;
      if (isUnset(v)) return 'backup_retention_period is not set (AWS keeps 1 day)';
      return Number(v) < 7 ? `backup_retention_period ${shown(v)} is under 7 days` : undefined;
    },
  },
  {
    id: 'elasticache-in-transit-encryption',
    level: ERROR,
    resourceTypes: ['aws_elasticache_replication_group'],
    description: 'Clients reach Redis/Valkey over TLS only.',
    fix: 'set transit_encryption_enabled = true',
    check: ({ config }) => {
      const v = config.transit_encryption_enabled;
      if (isToken(v) || isTrue(v)) return undefined;
      return isUnset(v) ? 'transit_encryption_enabled is not set (the default is plaintext)' : 'transit_encryption_enabled is false';
    },
  },
  {
    id: 'elasticache-auth',
    level: ERROR,
    resourceTypes: ['aws_elasticache_replication_group'],
    description: 'Redis/Valkey requires authentication: RBAC user groups (preferred) or an AUTH token.',
    fix: 'set user_group_ids (KeyValueCache creates per-workload users) or auth_token from a secret',
    check: ({ config }) => {
      const groups = config.user_group_ids;
      const token = config.auth_token;
      if (isToken(groups) || isToken(token)) return undefined;
      if ((Array.isArray(groups) && groups.length) || (typeof token === 'string' && token.length)) return undefined;
      return 'neither user_group_ids nor auth_token is set: any client in the network can connect';
    },
  },
  {
    id: 'efs-encryption',
    level: ERROR,
    resourceTypes: ['aws_efs_file_system'],
    description: 'EFS file systems (model caches, shared data) are encrypted at rest.',
    fix: 'set encrypted = true, with kms_key_id of a customer-managed key',
    check: ({ config }) => {
      const v = config.encrypted;
      if (isToken(v) || isTrue(v)) return undefined;
      return isUnset(v) ? 'encrypted is not set (the default is unencrypted)' : 'encrypted is false';
    },
  },
  {
    id: 'kms-key-rotation',
    level: WARNING,
    resourceTypes: ['aws_kms_key'],
    description: 'Symmetric customer-managed KMS keys rotate their key material yearly.',
    fix: 'set enable_key_rotation = true',
    check: ({ config }) => {
      const spec = config.customer_master_key_spec ?? config.key_spec;
      if (isToken(spec) || (!isUnset(spec) && spec !== 'SYMMETRIC_DEFAULT')) return undefined;
      const v = config.enable_key_rotation;
      if (isToken(v) || isTrue(v)) return undefined;
      return isUnset(v) ? 'enable_key_rotation is not set (the default is off)' : 'enable_key_rotation is false';
    },
  },
];

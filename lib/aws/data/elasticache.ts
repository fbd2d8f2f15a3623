import type { ElasticacheReplicationGroup } from '@cdktf/provider-aws/lib/elasticache-replication-group';
import type { ElasticacheUser } from '@cdktf/provider-aws/lib/elasticache-user';
import type { ElasticacheUserGroup } from '@cdktf/provider-aws/lib/elasticache-user-group';
import type { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import type { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { ITerraformDependable, Lazy, TerraformStack } from 'cdktf';
import { Construct, IConstruct } from 'constructs';
import { ClusterNetwork, IWorkloadIdentity } from '../../core/cluster';
import { dataScopeIn } from '../../core/data-scope';
import { IKeyValueCache, KeyValueCacheOptions, RemovalPolicy, ServiceLogin } from '../../core/data-services';
import { requestGrantEgress } from '../../core/egress-requests';
import { sameStack } from '../../private/cluster-access';
import { lazyModule } from '../../private/lazy';
import { reportProblems } from '../../private/problems';
import { isToken } from '../../private/validation';
import {
  lifecycleFor,
  nodesOnlySecurityGroup,
  physicalName,
  podIdentityOf,
  problemSubject,
  serviceId,
  shortHash,
  tagsFor,
  validateNodeSecurityGroup,
  validateSubnets,
} from './common';
import { dataKey } from './kms';

const elasticacheReplicationGroupLib = lazyModule<typeof import('@cdktf/provider-aws/lib/elasticache-replication-group')>(
  '@cdktf/provider-aws/lib/elasticache-replication-group',
);
const elasticacheSubnetGroupLib = lazyModule<typeof import('@cdktf/provider-aws/lib/elasticache-subnet-group')>(
  '@cdktf/provider-aws/lib/elasticache-subnet-group',
);
const elasticacheUserLib = lazyModule<typeof import('@cdktf/provider-aws/lib/elasticache-user')>(
  '@cdktf/provider-aws/lib/elasticache-user',
);
const elasticacheUserGroupLib = lazyModule<typeof import('@cdktf/provider-aws/lib/elasticache-user-group')>(
  '@cdktf/provider-aws/lib/elasticache-user-group',
);

/** Props of ValkeyCache. */
export interface ValkeyCacheProps extends KeyValueCacheOptions {
  /** Cluster name (may be a token): the replication group id starts with it. */
  readonly clusterName: string;
  /** The cluster's VPC, private subnets and node security group (the only clients admitted). */
  readonly network: ClusterNetwork;
  /** Tags for every resource. */
  readonly tags: { [key: string]: string };
  /**
   * The stack the replication group, its key, subnet group, security group, users and user group go to
   * (under a construct standing for this one); the nodes' security group rule and grants stay here.
   * @default - none: under this construct
   */
  readonly dataStack?: TerraformStack;
}

/** Valkey version of new caches; minor updates follow with auto_minor_version_upgrade. */
const VALKEY_VERSION = '8.0';
const PORT = 6379;
/**
 * Users and user group use the REDIS engine, which Valkey caches accept: the disabled replacement of the
 * built-in `default` user must be a no-password user, and ElastiCache allows no-password users only with
 * the REDIS engine (a VALKEY user group holds password or IAM users only).
 */
const USER_ENGINE = 'redis';
/** Everything but the dangerous commands (KEYS, FLUSHALL, CONFIG, DEBUG ...); all keys and channels. */
const WORKLOAD_ACCESS = 'on ~* &* +@all -@dangerous';

/** Problems of cache options on ElastiCache (`<prop> <value> <problem>; <fix>`). */
export function validateValkeyCache(options: KeyValueCacheOptions): string[] {
  const out: string[] = [];
  const type = options.instanceType;
  if (type !== undefined && !isToken(type) && !/^cache\.[a-z0-9]+\.[a-z0-9]+$/.test(type))
    out.push(`instanceType '${type}' is not an ElastiCache node type; use the form cache.<family>.<size>, e.g. 'cache.r7g.large'`);
  if (options.transitEncryption === false)
    out.push('transitEncryption false would let anything in the VPC read keys in clear text; remove it: the cache is TLS only');
  return out;
}

/**
 * ElastiCache for Valkey (a replication group, one primary plus a replica in another zone with automatic
 * failover by default): private (port 6379 from the cluster's nodes only), TLS only, encrypted at rest with
 * its own rotating KMS key, RBAC with the built-in `default` user replaced by a disabled one and one IAM
 * user per granted workload (no password exists). Retained by default: `prevent_destroy` and a final
 * snapshot; daily snapshots kept 7 days.
 */
export class ValkeyCache extends Construct implements IKeyValueCache {
  public readonly host: string;
  public readonly port = PORT;
  /** Id of the replication group (IAM auth tokens are signed for it). */
  public readonly replicationGroupId: string;
  /** The replication group. */
  public readonly replicationGroup: ElasticacheReplicationGroup;
  /** The user group: the disabled default user and one IAM user per grant. */
  public readonly userGroup: ElasticacheUserGroup;
  /** The key encrypting data at rest and snapshots. */
  public readonly key: KmsKey;
  /** The security group admitting the cluster's nodes. */
  public readonly securityGroup: SecurityGroup;
  private readonly subject: IConstruct;
  private readonly clusterName: string;
  private readonly tags: { [key: string]: string };
  private readonly users: ElasticacheUser[] = [];
  /** Where the cache's resources live (this construct, or its stand-in in the data stack). */
  private readonly home: Construct;
  private readonly logins = new Map<string, ServiceLogin>();
  private readonly nodeRule: ITerraformDependable[];

  constructor(scope: Construct, id: string, props: ValkeyCacheProps) {
    super(scope, id);
    this.subject = problemSubject(this);
    const network = props.network;
    const highAvailability = props.highAvailability ?? true;
    reportProblems(this.subject, [
      ...validateValkeyCache(props),
      ...(highAvailability ? validateSubnets(network.privateSubnetIds, 'a Multi-AZ cache (highAvailability)') : []),
      ...validateNodeSecurityGroup(network.nodeSecurityGroupId, 'the cache'),
    ]);
    const removal = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.clusterName = props.clusterName;
    this.tags = tagsFor(props.tags, removal);
    const tags = this.tags;
    const hash = shortHash(this.subject.node.path);
    // Replication group ids: 40 characters at most.
    const name = physicalName([props.clusterName, serviceId(this)], hash, 40);
    this.replicationGroupId = name;
    const home = dataScopeIn(props.dataStack, this);
    this.home = home;

    this.key = dataKey(home, {
      description: `Encryption at rest of ElastiCache for Valkey ${name} and its snapshots`,
      alias: name,
      tags,
      removalPolicy: removal,
    });
    const subnets = new (elasticacheSubnetGroupLib().ElasticacheSubnetGroup)(home, 'SubnetGroup', {
      name,
      description: `Private subnets of EKS cluster ${props.clusterName}`,
      subnetIds: network.privateSubnetIds,
      tags,
    });
    const group = nodesOnlySecurityGroup(this, home, {
      network,
      port: PORT,
      name,
      description: `Valkey ${name} from the nodes of EKS cluster ${props.clusterName}`,
      ruleDescription: 'Valkey (TLS) from cluster nodes',
      tags,
    });
    this.securityGroup = group.securityGroup;
    this.nodeRule = group.nodeRule;

    // Connections that do not authenticate land on the user named 'default': this one is off and may run
    // nothing. Its id must differ from the built-in user's id 'default'.
    const defaultUser = new (elasticacheUserLib().ElasticacheUser)(home, 'DefaultUser', {
      userId: physicalName([props.clusterName, serviceId(this), 'default'], hash, 40),
      userName: 'default',
      engine: USER_ENGINE,
      accessString: 'off -@all',
      // no_password_required alone: an authentication_mode block reads back as 'no-password' and would
      // show a change on every plan.
      noPasswordRequired: true,
      tags,
    });
    this.userGroup = new (elasticacheUserGroupLib().ElasticacheUserGroup)(home, 'UserGroup', {
      userGroupId: name,
      engine: USER_ENGINE,
      // Rendered at synth, so users of grants made after the cache still land in the group's one list.
      userIds: Lazy.listValue({ produce: () => [defaultUser.userId, ...this.users.map((u) => u.userId)] }),
      tags,
    });

    this.replicationGroup = new (elasticacheReplicationGroupLib().ElasticacheReplicationGroup)(home, 'ReplicationGroup', {
      replicationGroupId: name,
      description: `Valkey cache ${serviceId(this)} of EKS cluster ${props.clusterName}`,
      engine: 'valkey',
      engineVersion: VALKEY_VERSION,
      autoMinorVersionUpgrade: 'true',
      nodeType: props.instanceType ?? 'cache.r7g.large',
      port: PORT,
      numCacheClusters: highAvailability ? 2 : 1,
      automaticFailoverEnabled: highAvailability,
      multiAzEnabled: highAvailability,
      subnetGroupName: subnets.name,
      securityGroupIds: [this.securityGroup.id],
      transitEncryptionEnabled: true,
      atRestEncryptionEnabled: 'true',
      kmsKeyId: this.key.arn,
      userGroupIds: [this.userGroup.userGroupId],
      snapshotRetentionLimit: 7,
      finalSnapshotIdentifier: removal === RemovalPolicy.RETAIN ? `${name}-final` : undefined,
      tags,
      lifecycle: lifecycleFor(removal),
    });
    this.host = this.replicationGroup.primaryEndpointAddress;
  }

  /**
   * Creates an IAM-authenticated cache user for the identity and lets it connect as that user. The pod
   * signs an IAM auth token for `replicationGroupId` and `user` and sends it as the password (TLS).
   * @param after unused on AWS: no secret is written
   */
  public grantReadWrite(identity: IWorkloadIdentity, after?: ITerraformDependable[]): ServiceLogin {
    void after;
    requestGrantEgress(identity, 'cache', PORT);
    const existing = this.logins.get(identity.node.path);
    if (existing) return existing;
    const hash = shortHash(`${this.subject.node.path}|${identity.node.path}`);
    // IAM users need user id == user name; ids are unique per account and region, hence cluster and hash.
    const userName = physicalName([this.clusterName, identity.serviceAccountName], hash, 40);
    const binding = podIdentityOf(this.subject, identity, 'grantReadWrite');
    if (!binding) return { user: userName, authentication: 'aws-iam', dependables: [...this.nodeRule, ...identity.dependables] };

    // With the cache: the user group lists it, and it names no cluster resource.
    const user = new (elasticacheUserLib().ElasticacheUser)(this.home, `User${hash}`, {
      userId: userName,
      userName,
      engine: USER_ENGINE,
      accessString: WORKLOAD_ACCESS,
      authenticationMode: { type: 'iam' },
      tags: this.tags,
    });
    this.users.push(user);
    binding.addToPolicy({
      sid: `ElastiCacheConnect${hash}`,
      actions: ['elasticache:Connect'],
      resources: [this.replicationGroup.arn, user.arn],
    });
    const login: ServiceLogin = {
      user: userName,
      authentication: 'aws-iam',
      // The user exists and is in the group once the group's update is applied.
      dependables: [...identity.dependables, ...this.nodeRule, ...sameStack(this, [user, this.userGroup])],
    };
    this.logins.set(identity.node.path, login);
    return login;
  }
}

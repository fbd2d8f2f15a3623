import type { DbInstance } from '@cdktf/provider-aws/lib/db-instance';
import type { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import type { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { Fn, ITerraformDependable, Op, TerraformStack } from 'cdktf';
import { Construct, IConstruct } from 'constructs';
import { ClusterNetwork, IWorkloadIdentity } from '../../core/cluster';
import { dataScopeIn } from '../../core/data-scope';
import { Duration } from '../../core/duration';
import { IPostgresDatabase, PostgresOptions, RemovalPolicy, ServiceLogin } from '../../core/data-services';
import { requestGrantEgress } from '../../core/egress-requests';
import { sameStack } from '../../private/cluster-access';
import { lazyModule } from '../../private/lazy';
import { reportProblems } from '../../private/problems';
import { isToken } from '../../private/validation';
import { awsContext } from '../account';
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
  wholeDays,
} from './common';
import { dataKey } from './kms';

const dbInstanceLib = lazyModule<typeof import('@cdktf/provider-aws/lib/db-instance')>('@cdktf/provider-aws/lib/db-instance');
const dbParameterGroupLib = lazyModule<typeof import('@cdktf/provider-aws/lib/db-parameter-group')>(
  '@cdktf/provider-aws/lib/db-parameter-group',
);
const dbSubnetGroupLib = lazyModule<typeof import('@cdktf/provider-aws/lib/db-subnet-group')>('@cdktf/provider-aws/lib/db-subnet-group');

/** Props of RdsPostgresDatabase. */
export interface RdsPostgresDatabaseProps extends PostgresOptions {
  /** Cluster name (may be a token): the instance identifier starts with it. */
  readonly clusterName: string;
  /** The cluster's VPC, private subnets and node security group (the only clients admitted). */
  readonly network: ClusterNetwork;
  /** Tags for every resource. */
  readonly tags: { [key: string]: string };
  /**
   * The stack the instance, its key, subnet group, security group and parameter group go to (under a
   * construct standing for this one); the nodes' security group rule and grants stay here.
   * @default - none: under this construct
   */
  readonly dataStack?: TerraformStack;
}

/** PostgreSQL major versions RDS offers with pgvector 0.5+ (HNSW indexes). */
const MAJORS = ['15', '16', '17', '18'];
const MAJORS_TEXT = "'15', '16', '17' or '18'";
/** The master user; its password lives in Secrets Manager only. */
const MASTER_USER = 'dbadmin';
const PORT = 5432;

/** Problems of PostgreSQL options on RDS (`<prop> <value> <problem>; <fix>`). */
export function validateRdsPostgres(options: PostgresOptions): string[] {
  const out: string[] = [];
  const version = options.engineVersion;
  if (version !== undefined && !isToken(version)) {
    const m = /^(\d+)(\.\d+)?$/.exec(version);
    if (!m) out.push(`engineVersion '${version}' is not a PostgreSQL version; use a major version: ${MAJORS_TEXT}`);
    else if (Number(m[1]) < 15)
      out.push(
        `engineVersion '${version}' is too old: pgvector HNSW indexes need PostgreSQL 15+ (pgvector 0.5+ on RDS); use ${MAJORS_TEXT}`,
      );
    else if (!MAJORS.includes(m[1])) out.push(`engineVersion '${version}' is not offered by RDS for PostgreSQL; use ${MAJORS_TEXT}`);
    // HNSW came with pgvector 0.5.0, which RDS ships from 15.4 (15.2 and 15.3 carry pgvector 0.4).
    else if (m[1] === '15' && m[2] !== undefined && Number(m[2].slice(1)) < 4)
      out.push(`engineVersion '${version}' ships pgvector 0.4, without HNSW indexes; use 15.4 or newer, or the major version '15'`);
  }
  const type = options.instanceType;
  if (type !== undefined && !isToken(type) && !/^db\.[a-z0-9]+\.[a-z0-9]+$/.test(type))
    out.push(`instanceType '${type}' is not an RDS instance class; use the form db.<family>.<size>, e.g. 'db.r7g.large'`);
  const storage = options.storageGib;
  if (storage !== undefined && !isToken(storage) && !(Number.isInteger(storage) && storage >= 20 && storage <= 65536))
    out.push(`storageGib ${storage} is outside what RDS gp3 storage allows; use a whole number of GiB from 20 to 65536`);
  if (options.backupRetention !== undefined) {
    const days = wholeDays(options.backupRetention);
    if (days === undefined || days < 7 || days > 35)
      out.push(`backupRetention ${options.backupRetention} is not 7 to 35 whole days; use Duration.days(n) with n from 7 to 35`);
  }
  const db = options.databaseName;
  if (db !== undefined && !isToken(db) && !/^[a-zA-Z][a-zA-Z0-9_]{0,62}$/.test(db))
    out.push(`databaseName '${db}' is not a PostgreSQL database name RDS accepts; use a letter, then up to 62 letters, digits or '_'`);
  return out;
}

/**
 * RDS for PostgreSQL (a single instance, Multi-AZ with highAvailability) for pgvector workloads: private
 * (no public address, reachable on 5432 from the cluster's nodes only), TLS only (rds.force_ssl),
 * encrypted with its own rotating KMS key (storage, Performance Insights, the master secret), IAM
 * database authentication for workloads, the master password kept by Secrets Manager. Retained by default:
 * deletion protection, `prevent_destroy`, a final snapshot and kept automated backups.
 */
export class RdsPostgresDatabase extends Construct implements IPostgresDatabase {
  public readonly host: string;
  public readonly port = PORT;
  public readonly databaseName: string;
  public readonly engineVersion: string;
  /** The instance. */
  public readonly instance: DbInstance;
  /** The key encrypting storage, Performance Insights and the master user's secret. */
  public readonly key: KmsKey;
  /** The security group admitting the cluster's nodes. */
  public readonly securityGroup: SecurityGroup;
  private readonly subject: IConstruct;
  private readonly logins = new Map<string, ServiceLogin>();
  private readonly nodeRule: ITerraformDependable[];

  constructor(scope: Construct, id: string, props: RdsPostgresDatabaseProps) {
    super(scope, id);
    this.subject = problemSubject(this);
    const network = props.network;
    reportProblems(this.subject, [
      ...validateRdsPostgres(props),
      ...validateSubnets(network.privateSubnetIds, 'an RDS DB subnet group'),
      ...validateNodeSecurityGroup(network.nodeSecurityGroupId, 'the database'),
    ]);
    const removal = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const retain = removal === RemovalPolicy.RETAIN;
    const tags = tagsFor(props.tags, removal);
    const identifier = physicalName([props.clusterName, serviceId(this)], shortHash(this.subject.node.path), 63);

    this.engineVersion = props.engineVersion ?? '17';
    const major = isToken(this.engineVersion) ? Fn.element(Fn.split('.', this.engineVersion), 0) : this.engineVersion.split('.')[0];
    this.databaseName = props.databaseName ?? 'app';
    const storage = props.storageGib ?? 128;
    const backupDays = wholeDays(props.backupRetention ?? Duration.days(7)) ?? 7;

    const home = dataScopeIn(props.dataStack, this);
    this.key = dataKey(home, {
      description: `Encryption of RDS for PostgreSQL ${identifier}: storage, Performance Insights, master user secret`,
      alias: identifier,
      tags,
      removalPolicy: removal,
    });
    const subnets = new (dbSubnetGroupLib().DbSubnetGroup)(home, 'SubnetGroup', {
      name: identifier,
      description: `Private subnets of EKS cluster ${props.clusterName}`,
      subnetIds: network.privateSubnetIds,
      tags,
    });
    const group = nodesOnlySecurityGroup(this, home, {
      network,
      port: PORT,
      name: identifier,
      description: `PostgreSQL ${identifier} from the nodes of EKS cluster ${props.clusterName}`,
      ruleDescription: 'PostgreSQL from cluster nodes',
      tags,
    });
    this.securityGroup = group.securityGroup;
    // Clients (bootstrap Jobs, apps) wait for the nodes' rule as well, when it is a resource of its own.
    this.nodeRule = group.nodeRule;
    // A new family on a major upgrade needs a new group while the old one is still attached.
    const parameters = new (dbParameterGroupLib().DbParameterGroup)(home, 'Parameters', {
      namePrefix: `${identifier}-`,
      family: `postgres${major}`,
      description: `TLS only for ${identifier}`,
      parameter: [{ name: 'rds.force_ssl', value: '1', applyMethod: 'immediate' }],
      tags,
      lifecycle: { createBeforeDestroy: true },
    });

    this.instance = new (dbInstanceLib().DbInstance)(home, 'Instance', {
      identifier,
      engine: 'postgres',
      // A major version only: RDS picks its newest minor, and minor upgrades apply in the maintenance window.
      engineVersion: this.engineVersion,
      autoMinorVersionUpgrade: true,
      allowMajorVersionUpgrade: true,
      instanceClass: props.instanceType ?? 'db.r7g.large',
      allocatedStorage: storage,
      maxAllocatedStorage: isToken(storage) ? Fn.min([Op.mul(storage, 4), 65536]) : Math.min(storage * 4, 65536),
      storageType: 'gp3',
      storageEncrypted: true,
      kmsKeyId: this.key.arn,
      dbName: this.databaseName,
      username: MASTER_USER,
      manageMasterUserPassword: true,
      masterUserSecretKmsKeyId: this.key.arn,
      iamDatabaseAuthenticationEnabled: true,
      dbSubnetGroupName: subnets.name,
      vpcSecurityGroupIds: [this.securityGroup.id],
      publiclyAccessible: false,
      port: PORT,
      parameterGroupName: parameters.name,
      multiAz: props.highAvailability ?? false,
      backupRetentionPeriod: backupDays,
      copyTagsToSnapshot: true,
      deletionProtection: retain,
      skipFinalSnapshot: !retain,
      finalSnapshotIdentifier: retain ? `${identifier}-final` : undefined,
      deleteAutomatedBackups: !retain,
      performanceInsightsEnabled: true,
      performanceInsightsKmsKeyId: this.key.arn,
      performanceInsightsRetentionPeriod: 7,
      enabledCloudwatchLogsExports: ['postgresql', 'upgrade'],
      tags,
      lifecycle: lifecycleFor(removal),
    });
    this.host = this.instance.address;
  }

  public grantConnect(identity: IWorkloadIdentity, user: string): ServiceLogin {
    requestGrantEgress(identity, 'postgres', PORT);
    const problems: string[] = [];
    if (!isToken(user) && !/^[a-z_][a-z0-9_]{0,62}$/.test(user))
      problems.push(
        `grantConnect user '${user}' is not a plain PostgreSQL role name; use a lower-case letter or '_', then up to 62 lower-case letters, digits or '_'`,
      );
    else if (user === MASTER_USER || user === 'rdsadmin')
      problems.push(`grantConnect user '${user}' is reserved on this server; pick another role name`);
    reportProblems(this.subject, problems);
    const key = `${identity.node.path}|${user}`;
    const existing = this.logins.get(key);
    if (existing) return existing;

    const binding = podIdentityOf(this.subject, identity, 'grantConnect');
    if (binding) {
      const ctx = awsContext(this);
      binding.addToPolicy({
        sid: `RdsConnect${shortHash(`${this.subject.node.path}|${user}`, 8)}`,
        actions: ['rds-db:connect'],
        resources: [
          `arn:${ctx.partition.partition}:rds-db:${ctx.region.name}:${ctx.caller.accountId}:dbuser:${this.instance.resourceId}/${user}`,
        ],
      });
    }
    const login: ServiceLogin = {
      user,
      authentication: 'aws-iam',
      // Run once, connected to the database as the master user (its password is in Secrets Manager).
      setupSql: [
        `CREATE ROLE "${user}" LOGIN;`,
        `GRANT rds_iam TO "${user}";`,
        `GRANT CONNECT, TEMPORARY ON DATABASE "${this.databaseName}" TO "${user}";`,
        `GRANT USAGE, CREATE ON SCHEMA public TO "${user}";`,
        'CREATE EXTENSION IF NOT EXISTS vector;',
      ].join(' '),
      dependables: [...this.nodeRule, ...identity.dependables],
    };
    this.logins.set(key, login);
    return login;
  }

  public grantAdmin(identity: IWorkloadIdentity): ServiceLogin {
    requestGrantEgress(identity, 'postgres', PORT);
    const key = `admin|${identity.node.path}`;
    const existing = this.logins.get(key);
    if (existing) return existing;
    // Managed by RDS (manage_master_user_password): rotated by Secrets Manager, encrypted with this.key.
    const secretArn = this.instance.masterUserSecret.get(0).secretArn;
    const binding = podIdentityOf(this.subject, identity, 'grantAdmin');
    if (binding) {
      const ctx = awsContext(this);
      const sid = shortHash(`${this.subject.node.path}|admin`, 8);
      binding.addToPolicy({ sid: `RdsMasterSecret${sid}`, actions: ['secretsmanager:GetSecretValue'], resources: [secretArn] });
      // The key also encrypts storage and Performance Insights: decrypt only through Secrets Manager.
      binding.addToPolicy({
        sid: `RdsMasterSecretKey${sid}`,
        actions: ['kms:Decrypt'],
        resources: [this.key.arn],
        conditions: [{ test: 'StringEquals', variable: 'kms:ViaService', values: [`secretsmanager.${ctx.region.name}.amazonaws.com`] }],
      });
    }
    const login: ServiceLogin = {
      user: MASTER_USER,
      authentication: 'secrets-manager',
      cloudSecretId: secretArn,
      // An instance in a data stack exists before this stack is applied (stacks are ordered instead).
      dependables: [...sameStack(this, [this.instance]), ...this.nodeRule, ...identity.dependables],
    };
    this.logins.set(key, login);
    return login;
  }
}

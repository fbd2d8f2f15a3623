import { lazyModule } from '../../private/lazy';
import type { DataAzurermClientConfig } from '@cdktf/provider-azurerm/lib/data-azurerm-client-config';
import type { PostgresqlFlexibleServer } from '@cdktf/provider-azurerm/lib/postgresql-flexible-server';
import type { PostgresqlFlexibleServerActiveDirectoryAdministrator } from '@cdktf/provider-azurerm/lib/postgresql-flexible-server-active-directory-administrator';
import type { PostgresqlFlexibleServerConfiguration } from '@cdktf/provider-azurerm/lib/postgresql-flexible-server-configuration';
import type { PostgresqlFlexibleServerDatabase } from '@cdktf/provider-azurerm/lib/postgresql-flexible-server-database';
import type { PrivateEndpoint } from '@cdktf/provider-azurerm/lib/private-endpoint';
import { Fn, ITerraformDependable, Op, Token } from 'cdktf';
import { Construct, Node } from 'constructs';
import { IWorkloadIdentity } from '../../core/cluster';
import { dataScopeIn } from '../../core/data-scope';
import { IPostgresDatabase, PostgresOptions, ServiceLogin } from '../../core/data-services';
import { requestGrantEgress } from '../../core/egress-requests';
import { Duration } from '../../core/duration';
import { sameStack } from '../../private/cluster-access';
import { reportProblems } from '../../private/problems';
import { isToken } from '../../private/validation';
import { azureIdentity, isThrowaway, retainLifecycle, serviceTags, wholeDays } from './common';
import type { AzureDataServicesProps } from './index';
import { hyphenatedName, literal, shortHash } from './names';
import { PrivateLinkService, privateEndpoint } from './private-endpoint';

const clientConfigLib = lazyModule<typeof import('@cdktf/provider-azurerm/lib/data-azurerm-client-config')>(
  '@cdktf/provider-azurerm/lib/data-azurerm-client-config',
);
const serverLib = lazyModule<typeof import('@cdktf/provider-azurerm/lib/postgresql-flexible-server')>(
  '@cdktf/provider-azurerm/lib/postgresql-flexible-server',
);
const configurationLib = lazyModule<typeof import('@cdktf/provider-azurerm/lib/postgresql-flexible-server-configuration')>(
  '@cdktf/provider-azurerm/lib/postgresql-flexible-server-configuration',
);
const databaseLib = lazyModule<typeof import('@cdktf/provider-azurerm/lib/postgresql-flexible-server-database')>(
  '@cdktf/provider-azurerm/lib/postgresql-flexible-server-database',
);
const adminLib = lazyModule<typeof import('@cdktf/provider-azurerm/lib/postgresql-flexible-server-active-directory-administrator')>(
  '@cdktf/provider-azurerm/lib/postgresql-flexible-server-active-directory-administrator',
);

/** Client id of the Azure CLI application: a deployer signed in with `az login` is a user. */
const AZURE_CLI_CLIENT_ID = '04b07795-8ddb-461a-bbee-02f9e1bf7b46';
/**
 * Major versions offered: pgvector builds HNSW indexes from 0.5, shipped with PostgreSQL 15 and newer on
 * Azure, and azurerm 4.53 validates `version` against 11-17 (17 added as a literal, the SDK enum stops at 16).
 */
const VERSIONS = ['15', '16', '17'];
/** The sizes Azure offers (azurerm validates storage_mb against this list), in MiB. */
const STORAGE_MB = [32768, 65536, 131072, 262144, 524288, 1048576, 2097152, 4193280, 4194304, 8388608, 16777216, 33553408];
const SKU = /^(B|GP|MO)_Standard_[A-Za-z0-9_]+$/;
/** PostgreSQL role names a workload logs in with (lower case, so they need no quoting in clients). */
const USER = /^[a-z_][a-z0-9_-]{0,62}$/;
/** azurerm's rule for database names: a letter, '-' or '_' first, then letters, digits, '-', '_'; 63 at most. */
const DATABASE = /^[A-Za-z_-][A-Za-z0-9_-]{0,62}$/;
const RESERVED_DATABASES = ['postgres', 'azure_maintenance', 'azure_sys', 'template0', 'template1'];

/**
 * Azure Database for PostgreSQL Flexible Server with pgvector allowed: Entra ID authentication only (no
 * administrator password exists), TLS required, no public network access (a private endpoint in the node
 * subnet), automated backups kept 7-35 days, storage that grows by itself, optional zone-redundant HA.
 * The identity that runs Terraform is the server's Entra administrator, so it can run `setupSql`.
 */
export class AzurePostgresDatabase implements IPostgresDatabase {
  public readonly node: Node;
  public readonly host: string;
  public readonly port = 5432;
  public readonly databaseName: string;
  public readonly engineVersion: string;
  /** The server. */
  public readonly server: PostgresqlFlexibleServer;
  /** The database. */
  public readonly database: PostgresqlFlexibleServerDatabase;
  /** `azure.extensions` (allows pgvector) and `require_secure_transport`. */
  public readonly configurations: PostgresqlFlexibleServerConfiguration[];
  /** The deployer as Entra administrator. */
  public readonly administrator: PostgresqlFlexibleServerActiveDirectoryAdministrator;
  /** The private endpoint. */
  public readonly privateEndpoint: PrivateEndpoint;
  /** The identity running Terraform. */
  public readonly client: DataAzurermClientConfig;
  private readonly scope: Construct;
  private readonly resourceGroupName: string;
  /** Entra administrators added by grantAdmin, by identity path (each waits for the ones before it). */
  private readonly admins = new Map<string, ServiceLogin>();
  private lastServerOperation: ITerraformDependable;

  constructor(scope: Construct, props: AzureDataServicesProps, options: PostgresOptions) {
    this.scope = scope;
    this.node = scope.node;
    this.resourceGroupName = props.resourceGroupName;
    const throwaway = isThrowaway(options.removalPolicy);
    const tags = serviceTags(props.tags, throwaway);
    this.engineVersion = options.engineVersion ?? '17';
    this.databaseName = options.databaseName ?? 'app';
    const sku = options.instanceType ?? 'GP_Standard_D4ds_v5';
    const storageGib = options.storageGib ?? 128;
    const backup = options.backupRetention ?? Duration.days(7);
    const backupDays = wholeDays(backup);
    const ha = options.highAvailability ?? false;

    const problems: string[] = [];
    if (!isToken(this.engineVersion) && !VERSIONS.includes(this.engineVersion)) {
      problems.push(
        `engineVersion '${this.engineVersion}' is not one of ${VERSIONS.join(', ')} (pgvector has HNSW indexes from PostgreSQL 15; azurerm 4.53 accepts up to 17); use '17'`,
      );
    }
    if (!isToken(sku) && !SKU.test(sku)) {
      problems.push(
        `instanceType '${sku}' is not a Flexible Server SKU (<tier>_Standard_<size>, tier B, GP or MO); use e.g. 'GP_Standard_D4ds_v5'`,
      );
    } else if (ha && !isToken(sku) && sku.startsWith('B_')) {
      problems.push(
        `highAvailability true is not offered on the Burstable tier (instanceType '${sku}'); use a GP_ or MO_ SKU, or leave highAvailability off`,
      );
    }
    if (!isToken(storageGib) && !STORAGE_MB.includes(storageGib * 1024)) {
      problems.push(
        `storageGib ${storageGib} is not a size Azure Database for PostgreSQL offers; use one of ${STORAGE_MB.map((mb) => mb / 1024).join(', ')}`,
      );
    }
    if (backupDays === undefined || backupDays < 7 || backupDays > 35) {
      problems.push(`backupRetention ${backup} is not 7 to 35 whole days; use e.g. Duration.days(7)`);
    }
    const db = literal(this.databaseName);
    if (db !== undefined && (!DATABASE.test(db) || RESERVED_DATABASES.includes(db))) {
      problems.push(
        `databaseName '${db}' ${RESERVED_DATABASES.includes(db) ? 'is reserved by PostgreSQL or Azure' : 'is not a valid database name (letters, digits, _ and -, 63 at most, not starting with a digit)'}; use e.g. 'app'`,
      );
    }
    if (problems.length) reportProblems(scope, problems);

    const name = hyphenatedName(scope, props.clusterName, props.resourceGroupName, 63);
    // The server and what belongs to it outlive the cluster in its data stack, if any; administrators of
    // workload identities and grants stay here.
    const home = dataScopeIn(props.dataStack, scope);
    this.client = new (clientConfigLib().DataAzurermClientConfig)(home, 'Client', {});
    // With auto-grow on, Azure enlarges the disk itself; a configured size below it would force a
    // replacement (the provider refuses to shrink storage), so the size is the initial one only.
    const ignoreChanges = ['zone', 'storage_mb', 'storage_tier'];
    // Azure picks the zones when none is given and swaps them on failover; the provider then sees a change
    // it can only apply as another failover ("`zone` can only be changed when exchanged with ..."). The
    // provider's documentation recommends ignoring both (hashicorp/terraform-provider-azurerm#25538).
    if (ha) ignoreChanges.push('high_availability[0].standby_availability_zone');
    this.server = new (serverLib().PostgresqlFlexibleServer)(home, 'Server', {
      name,
      resourceGroupName: props.resourceGroupName,
      location: props.location,
      version: this.engineVersion,
      skuName: sku,
      storageMb: isToken(storageGib) ? Token.asNumber(Op.mul(storageGib, 1024)) : storageGib * 1024,
      autoGrowEnabled: true,
      // Private endpoint only; no administrator_login / administrator_password at all.
      publicNetworkAccessEnabled: false,
      authentication: {
        activeDirectoryAuthEnabled: true,
        passwordAuthEnabled: false,
        tenantId: this.client.tenantId,
      },
      backupRetentionDays: backupDays ?? 7,
      // Off on purpose: geo-redundant backup storage is ForceNew, only exists in regions with a paired
      // region, and doubles backup cost; backups stay zone-redundant where the region has zones.
      geoRedundantBackupEnabled: false,
      highAvailability: ha ? { mode: 'ZoneRedundant' } : undefined,
      tags,
      lifecycle: { ...retainLifecycle(throwaway), ignoreChanges },
    });
    this.configurations = [
      // The allow-list of extensions a database may CREATE; 'VECTOR' is pgvector. The value is a
      // case-insensitive set: upper case is what the azurerm acceptance test round-trips without a diff.
      new (configurationLib().PostgresqlFlexibleServerConfiguration)(home, 'Extensions', {
        name: 'azure.extensions',
        serverId: this.server.id,
        value: 'VECTOR',
      }),
      // Already Azure's default; pinned so nobody turns TLS off in the portal unnoticed. Lower case, as
      // Azure reports boolean parameters.
      new (configurationLib().PostgresqlFlexibleServerConfiguration)(home, 'RequireTls', {
        name: 'require_secure_transport',
        serverId: this.server.id,
        value: 'on',
      }),
    ];
    this.database = new (databaseLib().PostgresqlFlexibleServerDatabase)(home, 'Database', {
      name: this.databaseName,
      serverId: this.server.id,
      charset: 'UTF8',
      collation: 'en_US.utf8',
      lifecycle: retainLifecycle(throwaway),
    });
    // The Entra administrator, who can run the grants' setupSql: the one given (an Entra group, ideally),
    // else the identity running Terraform. Its principal type must match the object id: a person signed in
    // with the Azure CLI (client id of the Azure CLI application) is a User, a pipeline authenticating as
    // itself a ServicePrincipal; a service principal signed in through the CLI looks like a person, so such
    // pipelines name their administrator explicitly. The principal name becomes the PostgreSQL role.
    const admin = props.databaseAdministrator;
    this.administrator = new (adminLib().PostgresqlFlexibleServerActiveDirectoryAdministrator)(home, 'Administrator', {
      serverName: this.server.name,
      resourceGroupName: props.resourceGroupName,
      tenantId: this.client.tenantId,
      objectId: admin?.objectId ?? this.client.objectId,
      principalName: admin?.principalName ?? 'terraform-deployer',
      principalType:
        admin?.principalType ??
        Token.asString(Fn.conditional(Op.eq(this.client.clientId, AZURE_CLI_CLIENT_ID), 'User', 'ServicePrincipal')),
    });
    // After the server-level changes: Azure runs one operation at a time on a server, and azurerm serializes
    // its PostgreSQL resources only among themselves.
    this.privateEndpoint = privateEndpoint(home, {
      existingZoneIds: props.privateDnsZoneIds,
      service: PrivateLinkService.POSTGRES,
      resourceId: this.server.id,
      resourceName: name,
      location: props.location,
      resourceGroupName: props.resourceGroupName,
      network: props.network,
      tags: props.tags,
      endpointTags: tags,
      dependsOn: [...this.configurations, this.database, this.administrator],
    });
    this.host = this.server.fqdn;
    this.lastServerOperation = this.privateEndpoint;
  }

  public grantConnect(identity: IWorkloadIdentity, user: string): ServiceLogin {
    requestGrantEgress(identity, 'postgres', this.port);
    if (!isToken(user) && !USER.test(user)) {
      reportProblems(this.scope, [
        `grantConnect user '${user}' is not a PostgreSQL role name this library creates (a lower-case letter or '_', then lower-case letters, digits, '_' or '-', 63 at most); use e.g. 'rag'`,
      ]);
    }
    const azure = azureIdentity(this.scope, 'grantConnect', identity);
    if (!azure) return { user, authentication: 'entra', dependables: [] };
    const objectId = azure.identity.principalId;
    // pgaadauth_* exist in the 'postgres' database only; the grants and the extension belong in the app's.
    const setupSql = [
      `-- in database postgres, as an Entra administrator:`,
      `SELECT * FROM pgaadauth_create_principal_with_oid('${user}', '${objectId}', 'service', false, false);`,
      `-- in database ${this.databaseName}:`,
      `GRANT CONNECT ON DATABASE "${this.databaseName}" TO "${user}";`,
      `GRANT USAGE, CREATE ON SCHEMA public TO "${user}";`,
      `CREATE EXTENSION IF NOT EXISTS vector;`,
    ].join('\n');
    return {
      user,
      authentication: 'entra',
      setupSql,
      // A server in a data stack exists before this stack is applied (stacks are ordered instead).
      dependables: [...azure.dependables, ...sameStack(this.scope, [this.database, this.privateEndpoint])],
    };
  }

  public grantAdmin(identity: IWorkloadIdentity): ServiceLogin {
    requestGrantEgress(identity, 'postgres', this.port);
    const existing = this.admins.get(identity.node.path);
    if (existing) return existing;
    const azure = azureIdentity(this.scope, 'grantAdmin', identity);
    if (!azure) return { user: '', authentication: 'entra', dependables: [] };
    // The administrator's PostgreSQL role is the managed identity's name, as Azure's documentation names
    // managed identity administrators (display name = resource name): stable, unique in the resource group,
    // and distinct from the roles grantConnect creates (lower-case workload names).
    const user = azure.identity.name;
    const admin = new (adminLib().PostgresqlFlexibleServerActiveDirectoryAdministrator)(
      this.scope,
      `Administrator-${shortHash(8, identity.node.path)}`,
      {
        serverName: this.server.name,
        resourceGroupName: this.resourceGroupName,
        tenantId: this.client.tenantId,
        objectId: azure.identity.principalId,
        principalName: user,
        principalType: 'ServicePrincipal',
        // Azure runs one operation at a time on a server: after the configurations, the database, the
        // deployer's administrator, the private endpoint and any administrator added before this one (those
        // in a data stack are applied before this stack).
        dependsOn: sameStack(this.scope, [...this.configurations, this.database, this.administrator, this.lastServerOperation]),
      },
    );
    this.lastServerOperation = admin;
    const login: ServiceLogin = {
      user,
      authentication: 'entra',
      dependables: [admin, ...azure.dependables, ...sameStack(this.scope, [this.database, this.privateEndpoint])],
    };
    this.admins.set(identity.node.path, login);
    return login;
  }
}

import type { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { createHash } from 'crypto';
import { Fn, ITerraformDependable, TerraformStack } from 'cdktf';
import { Construct, IConstruct } from 'constructs';
import { ClusterNetwork, IWorkloadIdentity } from '../../core/cluster';
import { Duration } from '../../core/duration';
import { RemovalPolicy } from '../../core/data-services';
import { lazyModule } from '../../private/lazy';
import { reportProblems } from '../../private/problems';
import { isToken } from '../../private/validation';
import { PodIdentityBinding } from '../pod-identity';

const securityGroupLib = lazyModule<typeof import('@cdktf/provider-aws/lib/security-group')>('@cdktf/provider-aws/lib/security-group');
const vpcSecurityGroupIngressRuleLib = lazyModule<typeof import('@cdktf/provider-aws/lib/vpc-security-group-ingress-rule')>(
  '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule',
);

/**
 * Helpers shared by the AWS data services (S3, RDS, ElastiCache): physical names that tolerate tokens,
 * tags of the removal policy, identity checks of grants. Internal: not exported from the package.
 */

const DAY_MS = 86_400_000;

/** The first `length` hex characters of the SHA-256 of `text`: short, stable, alphanumeric. */
export function shortHash(text: string, length = 6): string {
  return createHash('sha256').update(text).digest('hex').slice(0, length);
}

/** Lower-case letters, digits and single '-' only, no '-' at either end. */
function clean(part: string): string {
  return part
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

/**
 * A name for an AWS API that allows lower-case letters, digits and '-' (RDS identifiers, ElastiCache ids,
 * security groups): `<parts>-<hash>`, starting with a letter, at most `max` characters. A part that is a
 * Terraform token (the cluster name from a variable) is never inspected at synth: the whole name becomes a
 * Terraform expression that lower-cases, cleans and cuts it at apply.
 */
export function physicalName(parts: string[], hash: string, max: number): string {
  const room = max - hash.length - 1;
  if (!parts.some((p) => isToken(p))) {
    let base = parts
      .map(clean)
      .filter((p) => p !== '')
      .join('-');
    if (!/^[a-z]/.test(base)) base = `x${base}`;
    base = base.slice(0, room).replace(/-+$/, '');
    return `${base}-${hash}`;
  }
  const cleaned = Fn.replace(Fn.lower(Fn.join('-', parts)), '/[^a-z0-9]+/', '-');
  return Fn.replace(`${Fn.substr(cleaned, 0, room)}-${hash}`, '/-+/', '-');
}

/**
 * A name prefix ending in '-', for APIs that append a unique suffix themselves (S3 `bucket_prefix`,
 * `name_prefix`): at most `max` characters, token-tolerant like physicalName.
 */
export function namePrefix(parts: string[], max: number): string {
  if (!parts.some((p) => isToken(p))) {
    let base = parts
      .map(clean)
      .filter((p) => p !== '')
      .join('-');
    if (!/^[a-z0-9]/.test(base)) base = `x${base}`;
    return `${base.slice(0, max - 1).replace(/-+$/, '')}-`;
  }
  const cleaned = Fn.replace(Fn.lower(Fn.join('-', parts)), '/[^a-z0-9]+/', '-');
  return Fn.replace(`${Fn.substr(cleaned, 0, max - 1)}-`, '/-+/', '-');
}

/** The user's tags, plus the `throwaway` marker conformance checks read for RemovalPolicy.DESTROY. */
export function tagsFor(tags: { [key: string]: string }, removal: RemovalPolicy): { [key: string]: string } {
  return removal === RemovalPolicy.DESTROY ? { ...tags, throwaway: 'true' } : { ...tags };
}

/** `lifecycle { prevent_destroy = true }` when retained. */
export function lifecycleFor(removal: RemovalPolicy): { preventDestroy: boolean } | undefined {
  return removal === RemovalPolicy.RETAIN ? { preventDestroy: true } : undefined;
}

/** Whole days of a duration, or undefined when it is not a whole number of days. */
export function wholeDays(d: Duration): number | undefined {
  const ms = d.toMilliseconds();
  return ms % DAY_MS === 0 ? ms / DAY_MS : undefined;
}

/**
 * The identity as an EKS Pod Identity, which IAM permissions can be added to; anything else (an Azure
 * identity, a custom implementation) is reported on `subject` and undefined is returned.
 */
export function podIdentityOf(subject: IConstruct, identity: IWorkloadIdentity, method: string): PodIdentityBinding | undefined {
  if (identity instanceof PodIdentityBinding) return identity;
  reportProblems(subject, [
    `${method} identity ${identity.node.path} is not an EKS Pod Identity; bind the service account with cluster.bindServiceAccount on this EKS cluster`,
  ]);
  return undefined;
}

/**
 * Where problems of a data service are reported: the public construct (ObjectStore, PostgresDatabase,
 * KeyValueCache) when the service is its 'Default' child, so messages name the path the user wrote.
 */
export function problemSubject(self: Construct): IConstruct {
  return self.node.id === 'Default' && self.node.scope ? self.node.scope : self;
}

/**
 * The id naming a data service in physical names: the public construct's id (the 'Default' child's
 * parent), or the service's own id.
 */
export function serviceId(self: Construct): string {
  return problemSubject(self).node.id;
}

/**
 * At least two private subnets: RDS subnet groups (and Multi-AZ caches) need two availability zones.
 * A list from a variable is not checked.
 */
export function validateSubnets(subnetIds: string[], what: string): string[] {
  if (isToken(subnetIds) || subnetIds.length >= 2) return [];
  return [
    `network.privateSubnetIds [${subnetIds.join(', ')}] has ${subnetIds.length} subnet${subnetIds.length === 1 ? '' : 's'}; ${what} needs private subnets in at least two availability zones: give the cluster's network two or more`,
  ];
}

/** No node security group: nothing could reach the service. */
export function validateNodeSecurityGroup(nodeSecurityGroupId: string | undefined, what: string): string[] {
  if (nodeSecurityGroupId !== undefined) return [];
  return [
    `network.nodeSecurityGroupId undefined: the cluster exposes no node security group, so ${what} admits no client; use a cluster whose network names the security group its nodes carry`,
  ];
}

/** What a data service's security group is made of. */
export interface NodesOnlySecurityGroupOptions {
  /** The cluster's VPC and node security group. */
  readonly network: ClusterNetwork;
  /** The service's TCP port. */
  readonly port: number;
  /** Name of the group. */
  readonly name: string;
  /** Description of the group. */
  readonly description: string;
  /** Description of the nodes' rule. */
  readonly ruleDescription: string;
  /** Tags of the group and the rule. */
  readonly tags: { [key: string]: string };
}

/** A data service's security group, and what its clients wait for. */
export interface NodesOnlySecurityGroup {
  /** The group (in `home`). */
  readonly securityGroup: SecurityGroup;
  /** The nodes' rule when it is a resource of its own (the group lives in a data stack), else nothing. */
  readonly nodeRule: ITerraformDependable[];
}

/**
 * The security group of a data service in the VPC (RDS, ElastiCache, EFS mount targets), admitting the
 * cluster's nodes on the service's port only, with an explicit empty egress: the service opens no connection
 * of its own, and nothing added out of band survives an apply. In the service's own stack the nodes' rule
 * stays inline in the group (managed whole, as always). With the group in a data stack, the group leaves
 * `ingress` unset and an `aws_vpc_security_group_ingress_rule` from the node security group lives beside the
 * service, in the cluster's stack: the data stack never refers to the cluster, and destroying the cluster
 * removes the rule.
 */
export function nodesOnlySecurityGroup(
  service: Construct,
  home: Construct,
  options: NodesOnlySecurityGroupOptions,
): NodesOnlySecurityGroup {
  const { network, port, tags } = options;
  const nodes = network.nodeSecurityGroupId;
  const inline = TerraformStack.of(service) === TerraformStack.of(home);
  const securityGroup = new (securityGroupLib().SecurityGroup)(home, 'SecurityGroup', {
    name: options.name,
    description: options.description,
    vpcId: network.networkId,
    ingress: inline
      ? nodes
        ? [{ description: options.ruleDescription, protocol: 'tcp', fromPort: port, toPort: port, securityGroups: [nodes] }]
        : []
      : undefined,
    egress: [],
    tags,
  });
  if (inline || !nodes) return { securityGroup, nodeRule: [] };
  const rule = new (vpcSecurityGroupIngressRuleLib().VpcSecurityGroupIngressRule)(service, 'NodeIngress', {
    securityGroupId: securityGroup.id,
    referencedSecurityGroupId: nodes,
    ipProtocol: 'tcp',
    fromPort: port,
    toPort: port,
    description: options.ruleDescription,
    tags,
  });
  return { securityGroup, nodeRule: [rule] };
}

import type { EfsFileSystem } from '@cdktf/provider-aws/lib/efs-file-system';
import type { EksAddon } from '@cdktf/provider-aws/lib/eks-addon';
import type { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import type { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import type { StorageClassV1 } from '@cdktf/provider-kubernetes/lib/storage-class-v1';
import { ITerraformDependable, TerraformIterator, TerraformStack, Token } from 'cdktf';
import { Construct } from 'constructs';
import { ClusterNetwork, IClusterInstallTarget } from '../../core/cluster';
import { dataScopeIn } from '../../core/data-scope';
import { ISharedFileSystem, RemovalPolicy, SharedFileSystemOptions } from '../../core/data-services';
import { sameStack } from '../../private/cluster-access';
import { lazyModule } from '../../private/lazy';
import { reportProblems } from '../../private/problems';
import { awsContext } from '../account';
import {
  lifecycleFor,
  nodesOnlySecurityGroup,
  physicalName,
  problemSubject,
  serviceId,
  shortHash,
  tagsFor,
  validateNodeSecurityGroup,
} from './common';
import { dataKey } from './kms';

const dataAwsIamPolicyDocumentLib = lazyModule<typeof import('@cdktf/provider-aws/lib/data-aws-iam-policy-document')>(
  '@cdktf/provider-aws/lib/data-aws-iam-policy-document',
);
const efsFileSystemLib = lazyModule<typeof import('@cdktf/provider-aws/lib/efs-file-system')>('@cdktf/provider-aws/lib/efs-file-system');
const efsMountTargetLib = lazyModule<typeof import('@cdktf/provider-aws/lib/efs-mount-target')>('@cdktf/provider-aws/lib/efs-mount-target');
const eksAddonLib = lazyModule<typeof import('@cdktf/provider-aws/lib/eks-addon')>('@cdktf/provider-aws/lib/eks-addon');
const iamRoleLib = lazyModule<typeof import('@cdktf/provider-aws/lib/iam-role')>('@cdktf/provider-aws/lib/iam-role');
const iamRolePolicyAttachmentLib = lazyModule<typeof import('@cdktf/provider-aws/lib/iam-role-policy-attachment')>(
  '@cdktf/provider-aws/lib/iam-role-policy-attachment',
);
const storageClassV1Lib = lazyModule<typeof import('@cdktf/provider-kubernetes/lib/storage-class-v1')>(
  '@cdktf/provider-kubernetes/lib/storage-class-v1',
);

/** NFS. */
const NFS_PORT = 2049;
/** The service account of the EFS CSI controller, which the add-on creates in kube-system. */
const EFS_CSI_SERVICE_ACCOUNT = 'efs-csi-controller-sa';

/** Props of EfsSharedFileSystem. */
export interface EfsSharedFileSystemProps extends SharedFileSystemOptions {
  /** Cluster name (may be a token): names, and the cluster the EFS CSI add-on is installed on. */
  readonly clusterName: string;
  /** The cluster's VPC, private subnets (one mount target each) and node security group (the only clients). */
  readonly network: ClusterNetwork;
  /** Tags for every resource. */
  readonly tags: { [key: string]: string };
  /** The cluster, for the StorageClass (providers and what in-cluster resources wait for). */
  readonly cluster: IClusterInstallTarget;
  /**
   * The stack the file system, its key, security group and mount targets go to (under a construct standing
   * for this one); the nodes' security group rule, the CSI driver and the StorageClass stay here.
   * @default - none: under this construct
   */
  readonly dataStack?: TerraformStack;
}

/** The EFS CSI add-on of one cluster: created once, by the first file system that needs it. */
interface EfsCsiDriver {
  readonly addon: EksAddon;
}
/** By cluster, then by what scopes it: the cluster construct, or the stack when the cluster is no construct. */
const drivers = new WeakMap<object, WeakMap<object, EfsCsiDriver>>();

/**
 * The EKS add-on 'aws-efs-csi-driver', once per cluster: its controller assumes an IAM role with
 * AmazonEFSCSIDriverPolicy through EKS Pod Identity (the add-on's own pod identity association). It lives
 * with the cluster (under the cluster construct, else at the root of `scope`'s stack), since a cluster
 * holds an add-on once.
 */
function efsCsiDriver(scope: Construct, props: EfsSharedFileSystemProps): EfsCsiDriver {
  const parent: Construct = Construct.isConstruct(props.cluster) ? (props.cluster as unknown as Construct) : TerraformStack.of(scope);
  const perParent = drivers.get(props.cluster) ?? new WeakMap<object, EfsCsiDriver>();
  drivers.set(props.cluster, perParent);
  const existing = perParent.get(parent);
  if (existing) return existing;
  let id = 'EfsCsi';
  for (let i = 2; parent.node.tryFindChild(id); i++) id = `EfsCsi${i}`;
  const host = new Construct(parent, id);
  const ctx = awsContext(host);
  const trust = new (dataAwsIamPolicyDocumentLib().DataAwsIamPolicyDocument)(host, 'Trust', {
    statement: [
      {
        effect: 'Allow',
        principals: [{ type: 'Service', identifiers: ['pods.eks.amazonaws.com'] }],
        actions: ['sts:AssumeRole', 'sts:TagSession'],
        // Only EKS acting for this account may assume the role (confused-deputy guard).
        condition: [{ test: 'StringEquals', variable: 'aws:SourceAccount', values: [ctx.caller.accountId] }],
      },
    ],
  });
  const raw = `${props.clusterName}-efs-csi`;
  // IAM role names are account-wide: derived from the cluster; a literal is trimmed to 64 characters.
  const roleName = Token.isUnresolved(props.clusterName) ? raw : raw.replace(/[^A-Za-z0-9+=,.@_-]/g, '-').slice(0, 64);
  const role = new (iamRoleLib().IamRole)(host, 'Role', {
    name: roleName,
    assumeRolePolicy: trust.json,
    description: `EKS Pod Identity for kube-system/${EFS_CSI_SERVICE_ACCOUNT} (EFS CSI driver) in ${props.clusterName}`,
    tags: props.tags,
  });
  const policy = new (iamRolePolicyAttachmentLib().IamRolePolicyAttachment)(host, 'Policy', {
    role: role.name,
    policyArn: `arn:${ctx.partition.partition}:iam::aws:policy/service-role/AmazonEFSCSIDriverPolicy`,
  });
  const addon = new (eksAddonLib().EksAddon)(host, 'Addon', {
    clusterName: props.clusterName,
    addonName: 'aws-efs-csi-driver',
    podIdentityAssociation: [{ roleArn: role.arn, serviceAccount: EFS_CSI_SERVICE_ACCOUNT }],
    resolveConflictsOnCreate: 'OVERWRITE',
    resolveConflictsOnUpdate: 'PRESERVE',
    tags: props.tags,
    // The cluster, its system nodes and the Pod Identity agent first; the controller starts with its permissions.
    dependsOn: [...props.cluster.addonDependencies(host), policy],
  });
  const driver = { addon };
  perParent.set(parent, driver);
  return driver;
}

/**
 * An EFS file system for ReadWriteMany volumes of one EKS cluster: encrypted at rest with its own rotating
 * KMS key, elastic throughput, reachable on NFS (2049) from the cluster's nodes only through a mount
 * target in each private subnet, mounted with TLS (in-transit encryption). The EFS CSI add-on (once per
 * cluster) provisions one access point per volume under `/dynamic` through a StorageClass of its own,
 * which retains volumes when their claim goes. Retained by default (`prevent_destroy`).
 */
export class EfsSharedFileSystem extends Construct implements ISharedFileSystem {
  public readonly storageClassName: string;
  public readonly elastic: boolean;
  public readonly dependables: ITerraformDependable[];
  /** The file system. */
  public readonly fileSystem: EfsFileSystem;
  /** The key encrypting it at rest. */
  public readonly key: KmsKey;
  /** The security group of the mount targets, admitting NFS from the cluster's nodes. */
  public readonly securityGroup: SecurityGroup;
  /** The StorageClass. */
  public readonly storageClass: StorageClassV1;

  constructor(scope: Construct, id: string, props: EfsSharedFileSystemProps) {
    super(scope, id);
    const subject = problemSubject(this);
    const network = props.network;
    reportProblems(subject, [
      ...validateNodeSecurityGroup(network.nodeSecurityGroupId, 'the file system'),
      ...(!Token.isUnresolved(network.privateSubnetIds) && network.privateSubnetIds.length === 0
        ? [
            "network.privateSubnetIds [] is empty, so the file system gets no mount target and no pod can mount it; give the cluster's network its private subnets",
          ]
        : []),
    ]);
    const removal = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const tags = tagsFor(props.tags, removal);
    const hash = shortHash(subject.node.path);
    const name = physicalName([props.clusterName, serviceId(this)], hash, 64);

    const home = dataScopeIn(props.dataStack, this);
    this.key = dataKey(home, {
      description: `Encryption at rest of EFS file system ${name}`,
      alias: name,
      tags,
      removalPolicy: removal,
    });
    this.fileSystem = new (efsFileSystemLib().EfsFileSystem)(home, 'FileSystem', {
      encrypted: true,
      kmsKeyId: this.key.arn,
      performanceMode: 'generalPurpose',
      // Throughput follows the load (a burst of pods reading weights), billed by the byte.
      throughputMode: 'elastic',
      tags: { ...tags, Name: name },
      lifecycle: lifecycleFor(removal),
    });
    const group = nodesOnlySecurityGroup(this, home, {
      network,
      port: NFS_PORT,
      name,
      description: `EFS ${name} from the nodes of EKS cluster ${props.clusterName}`,
      ruleDescription: 'NFS from cluster nodes',
      tags,
    });
    this.securityGroup = group.securityGroup;
    const nodeRule = group.nodeRule;

    // One mount target per private subnet; a subnet list from a variable becomes a for_each over it.
    const mountTargets: ITerraformDependable[] = [];
    const subnets = network.privateSubnetIds;
    if (Token.isUnresolved(subnets)) {
      const each = TerraformIterator.fromList(subnets);
      mountTargets.push(
        new (efsMountTargetLib().EfsMountTarget)(home, 'MountTargets', {
          forEach: each,
          fileSystemId: this.fileSystem.id,
          subnetId: each.value,
          securityGroups: [this.securityGroup.id],
        }),
      );
    } else {
      subnets.forEach((subnetId, i) =>
        mountTargets.push(
          new (efsMountTargetLib().EfsMountTarget)(home, `MountTarget${i}`, {
            fileSystemId: this.fileSystem.id,
            subnetId,
            securityGroups: [this.securityGroup.id],
          }),
        ),
      );
    }

    const driver = efsCsiDriver(this, props);
    const addon = sameStack(this, [driver.addon]);
    // Mount targets in a data stack exist before this stack is applied (stacks are ordered instead).
    const mounted = sameStack(this, mountTargets);
    this.storageClassName = `efs-${hash}`;
    this.storageClass = new (storageClassV1Lib().StorageClassV1)(this, 'StorageClass', {
      provider: props.cluster.providers(this).kubernetes,
      metadata: { name: this.storageClassName },
      storageProvisioner: 'efs.csi.aws.com',
      // One access point per volume, its root /dynamic/<namespace>/<claim>, owned by the access point's POSIX
      // identity. The directory is named after the claim, not made unique: the file system outlives the
      // cluster (data stack), and a claim of the same name after a redeploy finds its data again (the model
      // cache is not downloaded anew). `$${` keeps the driver's template away from Terraform.
      parameters: {
        provisioningMode: 'efs-ap',
        fileSystemId: this.fileSystem.id,
        directoryPerms: '700',
        basePath: '/dynamic',
        subPathPattern: '$${.PVC.namespace}/$${.PVC.name}',
        ensureUniqueDirectory: 'false',
      },
      reclaimPolicy: 'Retain',
      // EFS is elastic: a claim's size is nominal, and it never needs expanding. The driver mounts with
      // TLS (efs-utils) by default; the 'tls' option is deprecated there.
      dependsOn: [...props.cluster.addonDependencies(this), ...addon, ...mounted],
    });
    this.dependables = [...addon, ...mounted, this.storageClass, ...nodeRule];
    this.elastic = true;
  }
}

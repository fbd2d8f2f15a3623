import { lazyModule } from '../private/lazy';
import type { DataAwsIamPolicyDocument } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import type { EksAccessPolicyAssociation } from '@cdktf/provider-aws/lib/eks-access-policy-association';
import type { EksAddon } from '@cdktf/provider-aws/lib/eks-addon';
import type { EksCluster } from '@cdktf/provider-aws/lib/eks-cluster';
import type { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import type { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { Fn, ITerraformDependable, TerraformStack } from 'cdktf';
import { Construct, IConstruct } from 'constructs';
import {
  AcceleratorPoolInfo,
  ClusterNetwork,
  ClusterProviders,
  ClusterSpec,
  CloudProvider,
  ICloudCluster,
  IWorkloadIdentity,
  NamespaceAdminGrant,
  NamespaceAdminOptions,
  PodToleration,
  ServiceAccountBindingOptions,
} from '../core/cluster';
import { dataScopeIn } from '../core/data-scope';
import { IDataServices } from '../core/data-services';
import { AwsDataServices } from './data';
import { ClusterAccess, sameStack } from '../private/cluster-access';
import { ExtendedResource, GpuNodePool, NodePoolRole, NodeTaint, PlatformLabels, acceleratorPoolInfo } from '../core/node-pool';
import { clusterAdminEntries, clusterAdminEntry } from './access-entries';
import { acceleratorNodeGroups } from './accelerator-node-groups';
import { awsContext } from './account';
import { EBS_CSI_DRIVER, EBS_CSI_SERVICE_ACCOUNT, addGp3StorageClass, ebsCsiDriverAddon } from './ebs-csi';
import { controlPlaneLogs } from './control-plane-logs';
import { coreAddon, nodeNetworkAddons } from './eks-addons';
import { EndpointAccess } from './endpoint-access';
import { selectAwsInstances } from './instance-selection';
import { nodeMonitoringAgent } from './node-monitoring-agent';
import { EksNodeGroupPool, EksAmiType } from './node-group';
import { GpuProvisioner } from './karpenter/gpu-provisioner';
import { KarpenterCloudResources } from './karpenter/karpenter-cloud';
import { EksKarpenterCluster, eksKarpenterCloud, karpenterNodeClassInput, karpenterPoolInputs } from './karpenter/eks-wiring';
import { KarpenterNodeClassInput, KarpenterPoolInput } from './karpenter/manifests';
import { PodIdentityBinding, podIdentityRoleName } from './pod-identity';
import { grantEksNamespaceAdmin } from './namespace-admin';
import { eksLoadBalancerAnnotations } from './load-balancer';

const dataAwsIamPolicyDocumentLib = lazyModule<typeof import('@cdktf/provider-aws/lib/data-aws-iam-policy-document')>(
  '@cdktf/provider-aws/lib/data-aws-iam-policy-document',
);
const dataAwsIamSessionContextLib = lazyModule<typeof import('@cdktf/provider-aws/lib/data-aws-iam-session-context')>(
  '@cdktf/provider-aws/lib/data-aws-iam-session-context',
);
const dataAwsSubnetLib = lazyModule<typeof import('@cdktf/provider-aws/lib/data-aws-subnet')>('@cdktf/provider-aws/lib/data-aws-subnet');
const eksClusterLib = lazyModule<typeof import('@cdktf/provider-aws/lib/eks-cluster')>('@cdktf/provider-aws/lib/eks-cluster');
const iamRoleLib = lazyModule<typeof import('@cdktf/provider-aws/lib/iam-role')>('@cdktf/provider-aws/lib/iam-role');
const iamRolePolicyAttachmentLib = lazyModule<typeof import('@cdktf/provider-aws/lib/iam-role-policy-attachment')>(
  '@cdktf/provider-aws/lib/iam-role-policy-attachment',
);
const securityGroupLib = lazyModule<typeof import('@cdktf/provider-aws/lib/security-group')>('@cdktf/provider-aws/lib/security-group');

/** Label cluster-autoscaler's AWS provider reads to wait until a new node's GPUs are allocatable. */
export const AWS_GPU_LABEL = 'k8s.amazonaws.com/accelerator';

/** Options of the EKS cluster and its network; set through `Cloud.aws({...})`. */
export interface EksPlatformClusterProps {
  /** Validated cluster spec. */
  readonly spec: ClusterSpec;
  /** Private subnets for the control plane ENIs and the nodes. */
  readonly privateSubnetIds: string[];
  /** API endpoint exposure. */
  readonly endpointAccess: EndpointAccess;
  /** IAM principals granted cluster admin through access entries (may be a Terraform list token). */
  readonly adminPrincipalArns: string[];
  /**
   * The IAM principal (role or user ARN) that runs Terraform and installs the in-cluster part.
   * @default - the caller's role, from aws_iam_session_context
   */
  readonly deployerPrincipalArn?: string;
  /** Instance type of the system node group. */
  readonly systemInstanceType: string;
  /** Fewest system nodes. */
  readonly systemMinNodes: number;
  /** Most system nodes. */
  readonly systemMaxNodes: number;
  /** Control-plane log retention in days. */
  readonly logRetentionDays: number;
  /** Keep the control-plane (audit) log group when the stack is destroyed. */
  readonly retainLogsOnDestroy: boolean;
  /**
   * The node monitoring agent add-on, and node auto repair on accelerator node groups.
   * @default false
   */
  readonly nodeAutoRepair?: boolean;
  /** Network resources nodes need until they are gone (NAT gateways). */
  readonly networkDependables: ITerraformDependable[];
  /**
   * Id of the VPC the library created; with `vpcCidr`, runners anywhere in it may reach the private API
   * endpoint on 443.
   * @default - an existing VPC: its own security groups decide
   */
  readonly vpcId?: string;
  /**
   * CIDR of the VPC the library created.
   * @default - an existing VPC: its own security groups decide
   */
  readonly vpcCidr?: string;
  /**
   * Why Terraform cannot reach the API while creating the cluster; see ClusterAccessOptions.
   * @default - reachable
   */
  readonly unreachableBecause?: string;
  /**
   * What provisions the accelerator pools.
   * @default GpuProvisioner.managedNodeGroups()
   */
  readonly gpuProvisioner?: GpuProvisioner;
  /**
   * The private subnets carry the `karpenter.sh/discovery` tag (the library created them with it); otherwise
   * Karpenter's node classes select them by id.
   * @default false
   */
  readonly subnetsTaggedForKarpenter?: boolean;
}

/** AWS managed policies of every node role. */
const NODE_POLICIES = ['AmazonEKSWorkerNodePolicy', 'AmazonEC2ContainerRegistryPullOnly', 'AmazonEKS_CNI_Policy'];

/**
 * An EKS cluster for AI workloads: secrets envelope-encrypted with a rotating KMS key, encrypted
 * control-plane logs, access entries (API auth mode) with the deployer's entry managed explicitly, Pod
 * Identity, managed core add-ons, a small system node group and one managed node group per accelerator pool.
 */
export class EksPlatformCluster extends Construct implements ICloudCluster {
  public readonly clusterName: string;
  public readonly cloudProvider = CloudProvider.AWS;
  public readonly gpuDriverPreinstalled = true;
  public readonly systemNodeSelector: { [key: string]: string } = { [PlatformLabels.ROLE]: 'system' };
  // The EKS system group is not tainted: platform services without GPUs (routers, APIs) run there too.
  public readonly systemTolerations: PodToleration[] = [];
  // Ordinary workloads share the untainted system group (it autoscales); accelerator groups are tainted.
  public readonly workloadNodeSelector: { [key: string]: string } = { [PlatformLabels.ROLE]: 'system' };
  public readonly workloadTolerations: PodToleration[] = [];
  public readonly storageClassName = 'gp3-encrypted';
  /** The VPC, the private subnets and the cluster security group every node carries. */
  public readonly network: ClusterNetwork;
  /** S3, RDS and ElastiCache in the cluster's VPC. */
  public readonly dataServices: IDataServices;
  /** AWS region of the cluster, read from its ARN (no provider lookup needed). */
  public readonly region: string;
  public readonly apiEndpoint: string;
  public readonly kubeconfigCommand: string;
  /** The EKS cluster resource. */
  public readonly cluster: EksCluster;
  /** KMS key encrypting Kubernetes secrets and the control-plane logs. */
  public readonly secretsKey: KmsKey;
  /** IAM role of every node. */
  public readonly nodeRole: IamRole;
  /** Node group per pool name, plus 'system'. */
  public readonly nodeGroups: { [pool: string]: EksNodeGroupPool } = {};
  /** The Pod Identity agent add-on; identities wait for it. */
  public readonly podIdentityAgent: EksAddon;
  /** The node monitoring agent add-on, when node auto repair is on and the cluster has accelerator pools. */
  public readonly nodeMonitoringAgent?: EksAddon;
  /** The deployer's cluster-admin access policy association; every in-cluster resource waits for it. */
  public readonly deployerAccess: EksAccessPolicyAssociation;
  /** What provisions the accelerator pools. */
  public readonly gpuProvisioner: GpuProvisioner;
  /** Karpenter's cloud side (node role, instance profile, queue, controller identity), when it provisions the pools. */
  public readonly karpenter?: KarpenterCloudResources;
  private readonly access: ClusterAccess;
  private readonly karpenterCluster: EksKarpenterCluster;
  private readonly shapes = new Map<string, number>();
  private readonly spec: ClusterSpec;

  constructor(scope: Construct, id: string, props: EksPlatformClusterProps) {
    super(scope, id);
    const spec = props.spec;
    const name = spec.clusterName;
    this.clusterName = name;
    this.spec = spec;
    const tags = spec.tags;
    const ctx = awsContext(this);
    const partition = ctx.partition.partition;

    // Secrets envelope-encrypted; the audit trail outlives the cluster unless retainLogsOnDestroy is off.
    const logs = controlPlaneLogs(this, {
      clusterName: name,
      dataStack: spec.dataStack,
      retentionInDays: props.logRetentionDays,
      retainOnDestroy: props.retainLogsOnDestroy,
      tags,
    });
    this.secretsKey = logs.secretsKey;

    const clusterRole = new (iamRoleLib().IamRole)(this, 'ClusterRole', {
      name: `${name}-cluster`,
      assumeRolePolicy: this.trust('ClusterTrust', 'eks.amazonaws.com').json,
      tags,
    });
    const clusterPolicy = new (iamRolePolicyAttachmentLib().IamRolePolicyAttachment)(this, 'ClusterPolicy', {
      role: clusterRole.name,
      policyArn: `arn:${partition}:iam::aws:policy/AmazonEKSClusterPolicy`,
    });

    // EKS's own cluster security group admits only itself: a runner elsewhere in the VPC (a CI runner or
    // CodeBuild project applying the in-cluster part) needs 443 on the private endpoint.
    const apiAccess =
      props.vpcId && props.vpcCidr
        ? new (securityGroupLib().SecurityGroup)(this, 'ApiAccess', {
            name: `${name}-api-from-vpc`,
            description: `HTTPS to the private API endpoint of EKS cluster ${name} from inside its VPC`,
            vpcId: props.vpcId,
            ingress: [
              { description: 'Kubernetes API from the VPC', fromPort: 443, toPort: 443, protocol: 'tcp', cidrBlocks: [props.vpcCidr] },
            ],
            tags,
          })
        : undefined;

    this.cluster = new (eksClusterLib().EksCluster)(this, 'Resource', {
      name,
      version: spec.kubernetesVersion.version,
      roleArn: clusterRole.arn,
      // Core add-ons are managed below as EKS add-ons, so they can be versioned and configured.
      bootstrapSelfManagedAddons: false,
      vpcConfig: {
        subnetIds: props.privateSubnetIds,
        securityGroupIds: apiAccess ? [apiAccess.id] : undefined,
        endpointPrivateAccess: true,
        endpointPublicAccess: props.endpointAccess.publicAccess,
        publicAccessCidrs: props.endpointAccess.publicAccess ? props.endpointAccess.publicAccessCidrs : undefined,
      },
      // The creator's implicit admin entry is off: the deployer's entry is managed below, so listing the
      // deployer elsewhere cannot collide with it (409) and a new deployer is a plan, not a surprise.
      accessConfig: { authenticationMode: 'API', bootstrapClusterCreatorAdminPermissions: false },
      encryptionConfig: { resources: ['secrets'], provider: { keyArn: this.secretsKey.arn } },
      enabledClusterLogTypes: ['api', 'audit', 'authenticator', 'controllerManager', 'scheduler'],
      upgradePolicy: { supportType: 'STANDARD' },
      tags,
      dependsOn: [...sameStack(this, [logs.logGroup]), clusterPolicy],
    });

    const deployerArn =
      props.deployerPrincipalArn ??
      new (dataAwsIamSessionContextLib().DataAwsIamSessionContext)(this, 'Deployer', { arn: ctx.caller.arn }).issuerArn;
    this.deployerAccess = clusterAdminEntry(this, 'Deployer', this.cluster.name, deployerArn, tags);
    clusterAdminEntries(this, this.cluster.name, props.adminPrincipalArns, tags);

    this.nodeRole = new (iamRoleLib().IamRole)(this, 'NodeRole', {
      name: `${name}-node`,
      assumeRolePolicy: this.trust('NodeTrust', 'ec2.amazonaws.com').json,
      tags,
    });
    const nodePolicies = NODE_POLICIES.map(
      (p) =>
        new (iamRolePolicyAttachmentLib().IamRolePolicyAttachment)(this, `Node${p.replace(/[^A-Za-z0-9]/g, '')}`, {
          role: this.nodeRole.name,
          policyArn: `arn:${partition}:iam::aws:policy/${p}`,
        }),
    );

    const addonOptions = { clusterName: this.cluster.name, tags };
    const network = nodeNetworkAddons(this, this.cluster, addonOptions);
    this.podIdentityAgent = network.podIdentityAgent;

    const nodeDeps: ITerraformDependable[] = [network.vpcCni, network.kubeProxy, ...nodePolicies, ...props.networkDependables];
    const system = new EksNodeGroupPool(this, 'SystemNodes', {
      clusterName: this.cluster.name,
      nodeGroupName: 'system',
      nodeRoleArn: this.nodeRole.arn,
      subnetIds: props.privateSubnetIds,
      instanceTypes: [props.systemInstanceType],
      amiType: EksAmiType.AL2023_STANDARD,
      spot: false,
      minNodes: props.systemMinNodes,
      maxNodes: props.systemMaxNodes,
      diskSizeGib: 50,
      labels: { [PlatformLabels.ROLE]: 'system' },
      taints: [],
      extendedResources: [],
      tags,
      dependsOn: nodeDeps,
    });
    this.nodeGroups.system = system;
    // CoreDNS needs schedulable nodes; created before them it stays degraded and the apply times out.
    const coredns = coreAddon(this, 'coredns', addonOptions, [system.nodeGroup]);

    // Persistent volumes (Prometheus, vector databases) need the EBS CSI driver; it gets its own Pod Identity.
    const ebsAddon = ebsCsiDriverAddon(this, {
      clusterName: this.cluster.name,
      identity: this.podIdentity(this, 'ebs-csi', EBS_CSI_SERVICE_ACCOUNT),
      tags,
      dependsOn: [system.nodeGroup],
    });

    const repair = props.nodeAutoRepair ?? false;
    // Accelerator faults become node conditions that node auto repair acts on.
    if (repair && spec.nodePools.length) this.nodeMonitoringAgent = nodeMonitoringAgent(this, this.cluster.name, tags, [system.nodeGroup]);

    this.gpuProvisioner = props.gpuProvisioner ?? GpuProvisioner.managedNodeGroups();
    for (const pool of spec.nodePools) this.shapes.set(pool.name, selectAwsInstances(pool).shape!.acceleratorsPerNode);
    // Karpenter's NodePools carry the same labels, taints and limits (see _karpenterPools).
    if (!this.gpuProvisioner.isKarpenter) {
      Object.assign(
        this.nodeGroups,
        acceleratorNodeGroups(this, spec.nodePools, {
          clusterName: this.cluster.name,
          nodeRoleArn: this.nodeRole.arn,
          privateSubnetIds: props.privateSubnetIds,
          nodeRepair: repair,
          describe: this,
          tags,
          dependsOn: nodeDeps,
        }),
      );
    }

    this.region = Fn.element(Fn.split(':', this.cluster.arn), 3);
    // Managed node groups whose launch template names no security group get the cluster security group.
    this.network = {
      networkId: this.vpcIdFor(spec.dataStack, props),
      privateSubnetIds: props.privateSubnetIds,
      nodeSecurityGroupId: this.cluster.vpcConfig.clusterSecurityGroupId,
    };
    this.karpenterCluster = {
      path: this.node.path,
      clusterName: this.cluster.name,
      literalClusterName: name,
      clusterSecurityGroupId: this.cluster.vpcConfig.clusterSecurityGroupId,
      privateSubnetIds: props.privateSubnetIds,
      subnetsTaggedForKarpenter: props.subnetsTaggedForKarpenter ?? false,
      gpuProvisioner: this.gpuProvisioner,
      tags,
    };
    if (this.gpuProvisioner.isKarpenter)
      this.karpenter = eksKarpenterCloud(this, this.karpenterCluster, NODE_POLICIES, (sa) => this.podIdentity(this, 'karpenter', sa));
    this.dataServices = new AwsDataServices({ clusterName: name, network: this.network, tags, cluster: this, dataStack: spec.dataStack });
    this.apiEndpoint = this.cluster.endpoint;
    this.kubeconfigCommand = `aws eks update-kubeconfig --name ${this.cluster.name} --region ${this.region}`;
    this.access = new ClusterAccess(this, {
      connection: {
        host: this.cluster.endpoint,
        clusterCaCertificate: Fn.base64decode(this.cluster.certificateAuthority.get(0).data),
        command: 'aws',
        args: ['eks', 'get-token', '--cluster-name', this.cluster.name, '--region', this.region, '--output', 'json'],
      },
      unreachableBecause: props.unreachableBecause,
    });
    // In-cluster resources need the API, system nodes for their pods, DNS, identities, volumes and the
    // deployer's access; user-listed admins are not waited for (a bad ARN must not block the platform).
    this.access.addDependency(system.nodeGroup, coredns, this.podIdentityAgent, ebsAddon, this.deployerAccess);

    // Encrypted gp3 through the EBS CSI add-on, the cluster's default class.
    addGp3StorageClass(this.access, spec.inClusterScope, this.storageClassName, EBS_CSI_DRIVER, {
      'storageclass.kubernetes.io/is-default-class': 'true',
    });
  }

  /** Adds an in-cluster resource that later add-ons in its stack wait for (Karpenter's NodePools). */
  public addAddonDependency(dependable: ITerraformDependable): void {
    this.access.addDependency(dependable);
  }

  /**
   * The pools as Karpenter provisions them: the shape, labels, taints and capacity the node group would have.
   * @internal
   */
  public _karpenterPools(): KarpenterPoolInput[] {
    return karpenterPoolInputs(this.spec.nodePools, this);
  }

  /**
   * What every EC2NodeClass of this cluster shares; only with Karpenter.
   * @internal
   */
  public _karpenterNodeClass(): KarpenterNodeClassInput {
    return karpenterNodeClassInput(this.karpenterCluster, this.karpenter);
  }

  public providers(scope: IConstruct): ClusterProviders {
    return this.access.providers(scope);
  }

  public addonDependencies(scope: IConstruct): ITerraformDependable[] {
    return this.access.dependenciesFor(scope);
  }

  public get acceleratorPools(): AcceleratorPoolInfo[] {
    return this.spec.nodePools.map((p) =>
      acceleratorPoolInfo(p, this.poolLabels(p), this.poolTaints(p), this.poolCapacity(p), selectAwsInstances(p).shape?.instanceTypes),
    );
  }

  /** The labels nodes of `pool` carry: the platform's own plus the accelerator label cluster-autoscaler reads. */
  public poolLabels(pool: GpuNodePool): { [key: string]: string } {
    const labels = { ...pool.labels };
    // cluster-autoscaler counts a node with this label as unready until its nvidia.com/gpu is allocatable,
    // so it does not scale up twice while the device plugin starts. Under MIG a node may advertise no
    // whole GPU at all (mixed strategy), which would keep it "unready" forever: no label there.
    if (pool.gpu && pool.role !== NodePoolRole.NEURON && !pool.mig)
      labels[AWS_GPU_LABEL] = `nvidia-${pool.gpu.name.toLowerCase().replace(/_/g, '-')}`;
    return labels;
  }

  /** The taints nodes of `pool` carry. */
  public poolTaints(pool: GpuNodePool): NodeTaint[] {
    return pool.taints;
  }

  /** The extended resources one node of `pool` advertises once its device plugin runs. */
  public poolCapacity(pool: GpuNodePool): ExtendedResource[] {
    const perNode = this.shapes.get(pool.name) ?? selectAwsInstances(pool).shape?.acceleratorsPerNode ?? 0;
    return pool.extendedResources(perNode, this.spec.migStrategy);
  }

  /**
   * The VPC id data services build their security groups in. A data stack must not read it from the cluster
   * (a cycle): it takes the id of the VPC the library created, or reads the VPC of the first subnet itself.
   */
  private vpcIdFor(dataStack: TerraformStack | undefined, props: EksPlatformClusterProps): string {
    if (!dataStack) return this.cluster.vpcConfig.vpcId;
    if (props.vpcId) return props.vpcId;
    const subnet = new (dataAwsSubnetLib().DataAwsSubnet)(dataScopeIn(dataStack, this), 'NodeSubnet', {
      id: Fn.element(props.privateSubnetIds, 0),
    });
    return subnet.vpcId;
  }

  public loadBalancerServiceAnnotations(internal: boolean): { [key: string]: string } {
    return eksLoadBalancerAnnotations(internal);
  }

  public grantNamespaceAdmin(scope: Construct, id: string, o: NamespaceAdminOptions): NamespaceAdminGrant {
    return grantEksNamespaceAdmin(this, this.cluster.name, scope, id, o);
  }

  public bindServiceAccount(scope: Construct, id: string, options: ServiceAccountBindingOptions): IWorkloadIdentity {
    return this.podIdentity(scope, id, options);
  }

  /** Like bindServiceAccount, typed as the AWS binding so IAM permissions can be added. */
  public podIdentity(scope: Construct, id: string, options: ServiceAccountBindingOptions): PodIdentityBinding {
    return new PodIdentityBinding(scope, id, {
      clusterName: this.cluster.name,
      namespace: options.namespace,
      serviceAccountName: options.serviceAccountName,
      roleName: podIdentityRoleName(this.clusterName, id),
      tags: this.spec.tags,
      dependsOn: [this.podIdentityAgent],
    });
  }

  private trust(id: string, service: string): DataAwsIamPolicyDocument {
    return new (dataAwsIamPolicyDocumentLib().DataAwsIamPolicyDocument)(this, id, {
      statement: [
        {
          effect: 'Allow',
          principals: [{ type: 'Service', identifiers: [service] }],
          actions: service === 'eks.amazonaws.com' ? ['sts:AssumeRole', 'sts:TagSession'] : ['sts:AssumeRole'],
        },
      ],
    });
  }
}

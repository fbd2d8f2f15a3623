import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { DataAwsIamPolicyDocument } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import { EksAccessEntry } from '@cdktf/provider-aws/lib/eks-access-entry';
import { EksAccessPolicyAssociation } from '@cdktf/provider-aws/lib/eks-access-policy-association';
import { EksAddon } from '@cdktf/provider-aws/lib/eks-addon';
import { EksCluster } from '@cdktf/provider-aws/lib/eks-cluster';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicyAttachment } from '@cdktf/provider-aws/lib/iam-role-policy-attachment';
import { KmsAlias } from '@cdktf/provider-aws/lib/kms-alias';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { HelmProvider } from '@cdktf/provider-helm/lib/provider';
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { StorageClassV1 } from '@cdktf/provider-kubernetes/lib/storage-class-v1';
import { Fn, ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { ClusterSpec, CloudProvider, IPlatformCluster, IWorkloadIdentity, PodToleration, ServiceAccountBindingOptions } from '../core/cluster';
import { KubernetesVersion } from '../core/kubernetes-version';
import { clusterProviders } from '../core/providers';
import { GpuNodePool, NodePoolRole, NodeTaint, PlatformLabels } from '../core/node-pool';
import { EndpointAccess } from './endpoint-access';
import { selectAwsInstances } from './instance-selection';
import { EksNodeGroupPool, EksAmiType } from './node-group';
import { PodIdentityBinding } from './pod-identity';

/** Options of the EKS cluster and its network; set through `Cloud.aws({...})`. */
export interface EksPlatformClusterProps {
  /** Validated cluster spec. */
  readonly spec: ClusterSpec;
  /** Private subnets for the control plane ENIs and the nodes. */
  readonly privateSubnetIds: string[];
  /** API endpoint exposure. */
  readonly endpointAccess: EndpointAccess;
  /** IAM principals granted cluster admin through access entries. */
  readonly adminPrincipalArns: string[];
  /** Instance type of the system node group. */
  readonly systemInstanceType: string;
  /** Control-plane log retention in days. */
  readonly logRetentionDays: number;
  /** Network resources nodes need until they are gone (NAT gateways). */
  readonly networkDependables: ITerraformDependable[];
}

/**
 * An EKS cluster for AI workloads: secrets envelope-encrypted with a rotating KMS key, control-plane
 * logs, access entries (API auth mode), Pod Identity, managed core add-ons, a small system node group and
 * one managed node group per accelerator pool. Exposes Kubernetes and Helm providers wired to itself.
 */
export class EksPlatformCluster extends Construct implements IPlatformCluster {
  public readonly clusterName: string;
  public readonly cloudProvider = CloudProvider.AWS;
  public readonly kubernetesVersion: KubernetesVersion;
  public readonly kubernetesProvider: KubernetesProvider;
  public readonly helmProvider: HelmProvider;
  public readonly nodePools: GpuNodePool[];
  public readonly migStrategy: string;
  public readonly gpuDriverPreinstalled = true;
  public readonly systemNodeSelector: { [key: string]: string } = { [PlatformLabels.ROLE]: 'system' };
  // The EKS system group is not tainted: platform services without GPUs (routers, APIs) run there too.
  public readonly systemTolerations: PodToleration[] = [];
  public readonly storageClassName = 'gp3-encrypted';
  public readonly addonDependencies: ITerraformDependable[];
  /** The EKS cluster resource. */
  public readonly cluster: EksCluster;
  /** KMS key encrypting Kubernetes secrets. */
  public readonly secretsKey: KmsKey;
  /** IAM role of every node. */
  public readonly nodeRole: IamRole;
  /** Node group per pool name, plus 'system'. */
  public readonly nodeGroups: { [pool: string]: EksNodeGroupPool } = {};
  /** AWS region of the cluster, read from its ARN (no provider lookup needed). */
  public readonly region: string;
  /** The Pod Identity agent add-on; identities wait for it. */
  public readonly podIdentityAgent: EksAddon;
  private readonly tags: { [key: string]: string };

  constructor(scope: Construct, id: string, props: EksPlatformClusterProps) {
    super(scope, id);
    const spec = props.spec;
    const name = spec.clusterName;
    this.clusterName = name;
    this.kubernetesVersion = spec.kubernetesVersion;
    this.nodePools = spec.nodePools;
    this.migStrategy = spec.migStrategy;
    this.tags = spec.tags;
    const tags = spec.tags;

    this.secretsKey = new KmsKey(this, 'SecretsKey', {
      description: `Envelope encryption of Kubernetes secrets in EKS cluster ${name}`,
      enableKeyRotation: true,
      deletionWindowInDays: 30,
      tags,
    });
    new KmsAlias(this, 'SecretsKeyAlias', { name: `alias/eks/${name}-secrets`, targetKeyId: this.secretsKey.keyId });

    // EKS writes to this exact group name; creating it first sets retention instead of "never expire".
    const logGroup = new CloudwatchLogGroup(this, 'ControlPlaneLogs', {
      name: `/aws/eks/${name}/cluster`,
      retentionInDays: props.logRetentionDays,
      tags,
    });

    const clusterRole = new IamRole(this, 'ClusterRole', {
      name: `${name}-cluster`,
      assumeRolePolicy: this.trust('ClusterTrust', 'eks.amazonaws.com').json,
      tags,
    });
    const clusterPolicy = new IamRolePolicyAttachment(this, 'ClusterPolicy', {
      role: clusterRole.name,
      policyArn: 'arn:aws:iam::aws:policy/AmazonEKSClusterPolicy',
    });

    this.cluster = new EksCluster(this, 'Resource', {
      name,
      version: spec.kubernetesVersion.version,
      roleArn: clusterRole.arn,
      // Core add-ons are managed below as EKS add-ons, so they can be versioned and configured.
      bootstrapSelfManagedAddons: false,
      vpcConfig: {
        subnetIds: props.privateSubnetIds,
        endpointPrivateAccess: true,
        endpointPublicAccess: props.endpointAccess.publicAccess,
        publicAccessCidrs: props.endpointAccess.publicAccess ? props.endpointAccess.publicAccessCidrs : undefined,
      },
      accessConfig: { authenticationMode: 'API', bootstrapClusterCreatorAdminPermissions: true },
      encryptionConfig: { resources: ['secrets'], provider: { keyArn: this.secretsKey.arn } },
      enabledClusterLogTypes: ['api', 'audit', 'authenticator', 'controllerManager', 'scheduler'],
      upgradePolicy: { supportType: 'STANDARD' },
      tags,
      dependsOn: [logGroup, clusterPolicy],
    });

    const admins = props.adminPrincipalArns.map((arn, i) => {
      const entry = new EksAccessEntry(this, `AdminEntry${i}`, { clusterName: this.cluster.name, principalArn: arn, tags });
      return new EksAccessPolicyAssociation(this, `AdminPolicy${i}`, {
        clusterName: this.cluster.name,
        principalArn: entry.principalArn,
        policyArn: 'arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy',
        accessScope: { type: 'cluster' },
      });
    });

    this.nodeRole = new IamRole(this, 'NodeRole', {
      name: `${name}-node`,
      assumeRolePolicy: this.trust('NodeTrust', 'ec2.amazonaws.com').json,
      tags,
    });
    const nodePolicies = ['AmazonEKSWorkerNodePolicy', 'AmazonEC2ContainerRegistryPullOnly', 'AmazonEKS_CNI_Policy'].map(
      (p) => new IamRolePolicyAttachment(this, `Node${p.replace(/[^A-Za-z0-9]/g, '')}`, {
        role: this.nodeRole.name,
        policyArn: `arn:aws:iam::aws:policy/${p}`,
      }),
    );

    const addon = (addonName: string, dependsOn: ITerraformDependable[]) => new EksAddon(this, `Addon-${addonName}`, {
      clusterName: this.cluster.name,
      addonName,
      resolveConflictsOnCreate: 'OVERWRITE',
      resolveConflictsOnUpdate: 'PRESERVE',
      tags,
      dependsOn,
    });
    // Networking must be in place before nodes join, or they never become Ready.
    const vpcCni = addon('vpc-cni', [this.cluster]);
    const kubeProxy = addon('kube-proxy', [this.cluster]);
    this.podIdentityAgent = addon('eks-pod-identity-agent', [this.cluster]);

    const nodeDeps: ITerraformDependable[] = [vpcCni, kubeProxy, ...nodePolicies, ...props.networkDependables];
    const system = new EksNodeGroupPool(this, 'SystemNodes', {
      clusterName: this.cluster.name,
      nodeGroupName: 'system',
      nodeRoleArn: this.nodeRole.arn,
      subnetIds: props.privateSubnetIds,
      instanceTypes: [props.systemInstanceType],
      amiType: EksAmiType.AL2023_STANDARD,
      spot: false,
      minNodes: 2,
      maxNodes: 4,
      diskSizeGib: 50,
      labels: { [PlatformLabels.ROLE]: 'system' },
      taints: [],
      extendedResources: [],
      tags,
      dependsOn: nodeDeps,
    });
    this.nodeGroups.system = system;
    // CoreDNS needs schedulable nodes; created before them it stays degraded and the apply times out.
    const coredns = addon('coredns', [system.nodeGroup]);

    // Persistent volumes (Prometheus, vector databases) need the EBS CSI driver; it gets its own Pod Identity.
    const ebsCsi = this.podIdentity(this, 'ebs-csi', { namespace: 'kube-system', serviceAccountName: 'ebs-csi-controller-sa' });
    ebsCsi.addManagedPolicy('EbsCsiPolicy', 'arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy');
    const ebsAddon = new EksAddon(this, 'Addon-aws-ebs-csi-driver', {
      clusterName: this.cluster.name,
      addonName: 'aws-ebs-csi-driver',
      resolveConflictsOnCreate: 'OVERWRITE',
      resolveConflictsOnUpdate: 'PRESERVE',
      tags,
      dependsOn: [system.nodeGroup, ebsCsi.association],
    });

    this.addonDependencies = [system.nodeGroup, coredns, this.podIdentityAgent, ebsAddon, ...admins];

    for (const pool of spec.nodePools) {
      const shape = selectAwsInstances(pool).shape!;
      this.nodeGroups[pool.name] = new EksNodeGroupPool(this, `Pool-${pool.name}`, {
        clusterName: this.cluster.name,
        nodeGroupName: pool.name,
        nodeRoleArn: this.nodeRole.arn,
        subnetIds: props.privateSubnetIds,
        instanceTypes: shape.instanceTypes,
        amiType: pool.role === NodePoolRole.NEURON ? EksAmiType.AL2023_NEURON : EksAmiType.AL2023_NVIDIA,
        spot: pool.spot,
        minNodes: pool.minNodes,
        maxNodes: pool.maxNodes,
        diskSizeGib: pool.diskSizeGib,
        labels: this.poolLabels(pool),
        taints: this.poolTaints(pool),
        extendedResources: pool.extendedResources(shape.acceleratorsPerNode, spec.migStrategy),
        tags,
        dependsOn: nodeDeps,
      });
    }

    const region = Fn.element(Fn.split(':', this.cluster.arn), 3);
    this.region = region;
    const providers = clusterProviders(this, {
      host: this.cluster.endpoint,
      clusterCaCertificate: Fn.base64decode(this.cluster.certificateAuthority.get(0).data),
      command: 'aws',
      args: ['eks', 'get-token', '--cluster-name', this.cluster.name, '--region', region, '--output', 'json'],
    });
    this.kubernetesProvider = providers.kubernetes;
    this.helmProvider = providers.helm;

    const storageClass = new StorageClassV1(this, 'StorageClass', {
      provider: this.kubernetesProvider,
      metadata: { name: this.storageClassName, annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
      storageProvisioner: 'ebs.csi.aws.com',
      parameters: { type: 'gp3', encrypted: 'true', fsType: 'ext4' },
      // Data outlives the claim: deleting a release must not delete its volumes.
      reclaimPolicy: 'Retain',
      volumeBindingMode: 'WaitForFirstConsumer',
      allowVolumeExpansion: true,
      dependsOn: [ebsAddon, system.nodeGroup],
    });
    // Add-ons with volumes must find their StorageClass in place.
    this.addonDependencies.push(storageClass);
  }

  public poolLabels(pool: GpuNodePool): { [key: string]: string } {
    return pool.labels;
  }

  public poolTaints(pool: GpuNodePool): NodeTaint[] {
    return pool.taints;
  }

  public bindServiceAccount(scope: Construct, id: string, options: ServiceAccountBindingOptions): IWorkloadIdentity {
    return this.podIdentity(scope, id, options);
  }

  /** Like bindServiceAccount, typed as the AWS binding so IAM permissions can be added. */
  public podIdentity(scope: Construct, id: string, options: ServiceAccountBindingOptions): PodIdentityBinding {
    const roleName = `${this.clusterName}-${id}`.replace(/[^A-Za-z0-9+=,.@_-]/g, '-').slice(0, 64);
    return new PodIdentityBinding(scope, id, {
      clusterName: this.cluster.name,
      namespace: options.namespace,
      serviceAccountName: options.serviceAccountName,
      roleName,
      tags: this.tags,
      dependsOn: [this.podIdentityAgent],
    });
  }

  private trust(id: string, service: string): DataAwsIamPolicyDocument {
    return new DataAwsIamPolicyDocument(this, id, {
      statement: [{
        effect: 'Allow',
        principals: [{ type: 'Service', identifiers: [service] }],
        actions: service === 'eks.amazonaws.com' ? ['sts:AssumeRole', 'sts:TagSession'] : ['sts:AssumeRole'],
      }],
    });
  }
}

import { createHash } from 'crypto';
import { lazyModule } from '../private/lazy';
import { Fn, ITerraformDependable, TerraformStack, Token } from 'cdktf';
import { Construct, IConstruct } from 'constructs';
import {
  AcceleratorPoolInfo,
  ClusterNetwork,
  ClusterProviders,
  CloudProvider,
  ExistingClusterSpec,
  ICloudCluster,
  IClusterImport,
  IWorkloadIdentity,
  NamespaceAdminGrant,
  NamespaceAdminOptions,
  PodToleration,
  ServiceAccountBindingOptions,
} from '../core/cluster';
import { dataScopeIn } from '../core/data-scope';
import { IDataServices } from '../core/data-services';
import { ClusterAccess } from '../private/cluster-access';
import { requireClusterObject } from '../private/cluster-checks';
import { isToken, validateAwsTags, validateEksClusterName, validateIds } from '../private/validation';
import { EBS_CSI_DRIVER, EBS_CSI_SERVICE_ACCOUNT, addGp3StorageClass, ebsCsiDriverAddon } from './ebs-csi';
import { AwsDataServices } from './data';
import { PodIdentityBinding, podIdentityRoleName } from './pod-identity';
import { grantEksNamespaceAdmin } from './namespace-admin';
import { eksLoadBalancerAnnotations } from './load-balancer';

const dataAwsEksClusterLib = lazyModule<typeof import('@cdktf/provider-aws/lib/data-aws-eks-cluster')>(
  '@cdktf/provider-aws/lib/data-aws-eks-cluster',
);

/** The block storage provisioner of EKS Auto Mode clusters. */
const EBS_AUTO_MODE_PROVISIONER = 'ebs.csi.eks.amazonaws.com';

/** What the library needs to know of an EKS cluster it did not create. */
export interface ExistingEksCloudClusterProps {
  /** Cluster name. */
  readonly clusterName: string;
  /** Pools, as their nodes appear. */
  readonly acceleratorPools: AcceleratorPoolInfo[];
  /**
   * A StorageClass of the cluster for add-on volumes; `terraform plan` fails when the cluster lacks it.
   * @default - the library creates an encrypted gp3 class (EBS CSI, Retain, WaitForFirstConsumer) of its own
   */
  readonly storageClassName?: string;
  /**
   * Install the `aws-ebs-csi-driver` EKS add-on with its own Pod Identity. Only for a cluster without the
   * driver: creating an add-on the cluster already runs fails (ResourceInUseException).
   * @default false - the driver must already run; `terraform plan` fails when its CSIDriver is missing
   */
  readonly installEbsCsiDriver?: boolean;
  /** Node selector of the pool for add-ons. */
  readonly systemNodeSelector: { [key: string]: string };
  /** Tolerations for that pool. */
  readonly systemTolerations: PodToleration[];
  /** Node selector for ordinary workloads. */
  readonly workloadNodeSelector: { [key: string]: string };
  /** Tolerations ordinary workloads need. */
  readonly workloadTolerations: PodToleration[];
  /** Whether node images carry the NVIDIA driver. */
  readonly gpuDriverPreinstalled: boolean;
  /**
   * Private subnets for data services.
   * @default - none: data services report that they need them
   */
  readonly privateSubnetIds?: string[];
  /**
   * Security group every node carries.
   * @default - the cluster security group
   */
  readonly nodeSecurityGroupId?: string;
  /** Tags for resources the library creates. */
  readonly tags: { [key: string]: string };
  /**
   * The stack for what outlives the cluster (retained data of services); it reads the cluster through a
   * data source of its own.
   * @default - none: everything in this construct's stack
   */
  readonly dataStack?: TerraformStack;
}

/**
 * An EKS cluster the library did not create, read through the `aws_eks_cluster` data source: providers
 * with `aws eks get-token`, Pod Identity bindings (the Pod Identity agent add-on must run in it) and the
 * data services in its VPC.
 */
export class ExistingEksCloudCluster extends Construct implements ICloudCluster {
  public readonly cloudProvider = CloudProvider.AWS;
  public readonly clusterName: string;
  public readonly region: string;
  public readonly apiEndpoint: string;
  public readonly kubeconfigCommand: string;
  public readonly network: ClusterNetwork;
  public readonly dataServices: IDataServices;
  public readonly systemNodeSelector: { [key: string]: string };
  public readonly systemTolerations: PodToleration[];
  public readonly workloadNodeSelector: { [key: string]: string };
  public readonly workloadTolerations: PodToleration[];
  public readonly storageClassName: string;
  public readonly gpuDriverPreinstalled: boolean;
  public readonly acceleratorPools: AcceleratorPoolInfo[];
  private readonly access: ClusterAccess;
  /** True (a Terraform expression) when the cluster runs EKS Auto Mode. */
  private readonly autoMode: string;
  private readonly tags: { [key: string]: string };

  constructor(scope: Construct, id: string, props: ExistingEksCloudClusterProps) {
    super(scope, id);
    const data = new (dataAwsEksClusterLib().DataAwsEksCluster)(this, 'Lookup', { name: props.clusterName });
    // EKS Auto Mode runs Pod Identity and block storage itself: no agent DaemonSet, and its own EBS
    // provisioner. A Terraform expression, since whether the cluster runs it is known at plan.
    this.autoMode = `try(data.${data.terraformResourceType}.${data.friendlyUniqueId}.compute_config[0].enabled, false)`;
    this.clusterName = props.clusterName;
    this.tags = props.tags;
    this.region = Fn.element(Fn.split(':', data.arn), 3);
    this.apiEndpoint = data.endpoint;
    this.kubeconfigCommand = `aws eks update-kubeconfig --name ${props.clusterName} --region ${this.region}`;
    const vpc = data.vpcConfig.get(0);
    // Security groups of a data stack are built in the cluster's VPC as that stack reads it.
    const home = dataScopeIn(props.dataStack, this);
    const dataVpc =
      home === this ? vpc : new (dataAwsEksClusterLib().DataAwsEksCluster)(home, 'Lookup', { name: props.clusterName }).vpcConfig.get(0);
    this.network = {
      networkId: dataVpc.vpcId,
      // The control plane's subnets may include public ones: data services need the private subnets named.
      privateSubnetIds: props.privateSubnetIds ?? [],
      nodeSecurityGroupId: props.nodeSecurityGroupId ?? vpc.clusterSecurityGroupId,
    };
    this.dataServices = new AwsDataServices({
      clusterName: props.clusterName,
      network: this.network,
      tags: props.tags,
      cluster: this,
      dataStack: props.dataStack,
    });
    this.systemNodeSelector = props.systemNodeSelector;
    this.systemTolerations = props.systemTolerations;
    this.workloadNodeSelector = props.workloadNodeSelector;
    this.workloadTolerations = props.workloadTolerations;
    this.gpuDriverPreinstalled = props.gpuDriverPreinstalled;
    this.acceleratorPools = props.acceleratorPools;
    this.access = new ClusterAccess(this, {
      connection: {
        host: data.endpoint,
        clusterCaCertificate: Fn.base64decode(data.certificateAuthority.get(0).data),
        command: 'aws',
        args: ['eks', 'get-token', '--cluster-name', props.clusterName, '--region', this.region, '--output', 'json'],
      },
    });
    this.storageClassName = this.addonStorage(props);
  }

  /**
   * The StorageClass add-on volumes use: the user's (checked to exist at plan), or an encrypted gp3 class
   * of the library's, as a new EKS cluster gets. EKS itself creates at most `gp2` (in-tree, unencrypted).
   */
  private addonStorage(props: ExistingEksCloudClusterProps): string {
    const kubernetes = this.access.providers(this).kubernetes;
    if (props.storageClassName !== undefined) {
      if (!Token.isUnresolved(props.storageClassName))
        requireClusterObject(this, 'StorageClassCheck', kubernetes, {
          apiVersion: 'storage.k8s.io/v1',
          kind: 'StorageClass',
          name: props.storageClassName,
          errorMessage: `StorageClass ${props.storageClassName} (storageClassName) does not exist in EKS cluster ${props.clusterName}; create it, or leave storageClassName unset for the library's encrypted gp3 class.`,
        });
      return props.storageClassName;
    }
    const after: ITerraformDependable[] = [];
    if (props.installEbsCsiDriver) {
      const identity = this.bindServiceAccount(this, 'ebs-csi', EBS_CSI_SERVICE_ACCOUNT) as PodIdentityBinding;
      after.push(
        ebsCsiDriverAddon(this, {
          clusterName: props.clusterName,
          identity,
          // Volumes of other workloads may use the driver by the time this stack is destroyed.
          preserve: true,
          tags: this.tags,
          dependsOn: [],
          waitForPolicy: true,
        }),
      );
    } else {
      requireClusterObject(this, 'EbsCsiDriverCheck', kubernetes, {
        apiVersion: 'storage.k8s.io/v1',
        kind: 'CSIDriver',
        name: EBS_CSI_DRIVER,
        unless: this.autoMode,
        errorMessage: `The Amazon EBS CSI driver (CSIDriver ${EBS_CSI_DRIVER}) is not installed in EKS cluster ${props.clusterName}, so add-on volumes would never bind; install the aws-ebs-csi-driver add-on, set installEbsCsiDriver: true, or pass storageClassName of a class that works.`,
      });
    }
    // Named per construct: two stacks bringing the same cluster must not create one class twice.
    const name = `ai-platform-gp3-${createHash('sha256').update(this.node.path).digest('hex').slice(0, 6)}`;
    const provisioner = `\${${this.autoMode} ? "${EBS_AUTO_MODE_PROVISIONER}" : "${EBS_CSI_DRIVER}"}`;
    addGp3StorageClass(this.access, this, name, provisioner, {}, after);
    return name;
  }

  public providers(scope: IConstruct): ClusterProviders {
    return this.access.providers(scope);
  }

  public addonDependencies(scope: IConstruct): ITerraformDependable[] {
    return this.access.dependenciesFor(scope);
  }

  public loadBalancerServiceAnnotations(internal: boolean): { [key: string]: string } {
    return eksLoadBalancerAnnotations(internal);
  }

  public grantNamespaceAdmin(scope: Construct, id: string, o: NamespaceAdminOptions): NamespaceAdminGrant {
    return grantEksNamespaceAdmin(this, this.clusterName, scope, id, o);
  }

  public bindServiceAccount(scope: Construct, id: string, options: ServiceAccountBindingOptions): IWorkloadIdentity {
    // Pod Identity needs its agent on every node; a cluster brought along may lack the add-on, and pods
    // would then run without credentials (403 at their first call). Checked at plan, once.
    if (!this.node.tryFindChild('PodIdentityAgentCheck'))
      requireClusterObject(this, 'PodIdentityAgentCheck', this.access.providers(this).kubernetes, {
        apiVersion: 'apps/v1',
        kind: 'DaemonSet',
        namespace: 'kube-system',
        name: 'eks-pod-identity-agent',
        unless: this.autoMode,
        errorMessage: `The EKS Pod Identity agent (DaemonSet kube-system/eks-pod-identity-agent) is not running in EKS cluster ${this.clusterName}, so workload identities would get no credentials; install the eks-pod-identity-agent add-on.`,
      });
    return new PodIdentityBinding(scope, id, {
      clusterName: this.clusterName,
      namespace: options.namespace,
      serviceAccountName: options.serviceAccountName,
      roleName: podIdentityRoleName(this.clusterName, id),
      tags: this.tags,
      dependsOn: [],
    });
  }
}

/** The EKS-specific props of `ExistingCluster.fromEks` (ExistingEksClusterProps). */
export interface ExistingEksOptions {
  /** Cluster name. */
  readonly clusterName: string;
  /**
   * Tags, as the user gave them.
   * @default - none
   */
  readonly tags?: { [key: string]: string };
  /**
   * Private subnets for data services.
   * @default - none
   */
  readonly privateSubnetIds?: string[];
  /**
   * Security group every node carries.
   * @default - the cluster security group
   */
  readonly nodeSecurityGroupId?: string;
  /**
   * Install the EBS CSI driver add-on.
   * @default false
   */
  readonly installEbsCsiDriver?: boolean;
}

/** Brings an EKS cluster along for ExistingCluster.fromEks. */
export class EksClusterImport implements IClusterImport {
  constructor(private readonly options: ExistingEksOptions) {}

  public validate(): string[] {
    const o = this.options;
    return [
      ...validateEksClusterName('clusterName', o.clusterName),
      ...validateAwsTags('tags', o.tags),
      ...validateIds('privateSubnetIds', o.privateSubnetIds, 'subnet-0123456789abcdef0'),
      ...(o.nodeSecurityGroupId !== undefined && !isToken(o.nodeSecurityGroupId) && o.nodeSecurityGroupId.trim() === ''
        ? ["nodeSecurityGroupId '' is an empty id; pass the nodes' security group id, or leave it unset for the cluster security group"]
        : []),
    ];
  }

  public dataStackValues(): { [prop: string]: unknown } {
    return { privateSubnetIds: this.options.privateSubnetIds };
  }

  public importCluster(scope: Construct, id: string, spec: ExistingClusterSpec): ICloudCluster {
    const o = this.options;
    return new ExistingEksCloudCluster(scope, id, {
      ...spec,
      privateSubnetIds: o.privateSubnetIds,
      nodeSecurityGroupId: o.nodeSecurityGroupId,
      installEbsCsiDriver: o.installEbsCsiDriver,
    });
  }
}

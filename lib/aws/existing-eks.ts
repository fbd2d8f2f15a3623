import { lazyModule } from '../private/lazy';
import { Fn, ITerraformDependable, TerraformStack, Token } from 'cdktf';
import { Construct, IConstruct } from 'constructs';
import {
  AcceleratorPoolInfo,
  ClusterNetwork,
  ClusterProviders,
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
import { ClusterAccess } from '../private/cluster-access';
import { AwsDataServices } from './data';
import { PodIdentityBinding } from './pod-identity';
import { EksNamespaceAdmin } from './namespace-admin';

const dataAwsEksClusterLib = lazyModule<typeof import('@cdktf/provider-aws/lib/data-aws-eks-cluster')>(
  '@cdktf/provider-aws/lib/data-aws-eks-cluster',
);

/** What the library needs to know of an EKS cluster it did not create. */
export interface ExistingEksCloudClusterProps {
  /** Cluster name. */
  readonly clusterName: string;
  /** Pools, as their nodes appear. */
  readonly acceleratorPools: AcceleratorPoolInfo[];
  /** StorageClass for add-on volumes. */
  readonly storageClassName: string;
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
  private readonly tags: { [key: string]: string };

  constructor(scope: Construct, id: string, props: ExistingEksCloudClusterProps) {
    super(scope, id);
    const data = new (dataAwsEksClusterLib().DataAwsEksCluster)(this, 'Lookup', { name: props.clusterName });
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
    this.storageClassName = props.storageClassName;
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
  }

  public providers(scope: IConstruct): ClusterProviders {
    return this.access.providers(scope);
  }

  public addonDependencies(scope: IConstruct): ITerraformDependable[] {
    return this.access.dependenciesFor(scope);
  }

  public grantNamespaceAdmin(scope: Construct, id: string, o: NamespaceAdminOptions): NamespaceAdminGrant {
    const e = new EksNamespaceAdmin(scope, id, {
      cluster: this,
      clusterName: this.clusterName,
      principalArn: o.principal,
      namespace: o.namespace,
      kubernetesGroup: o.kubernetesGroup,
      tags: o.tags,
    });
    return { kubernetesGroup: e.kubernetesGroup, dependables: e.dependables };
  }

  public bindServiceAccount(scope: Construct, id: string, options: ServiceAccountBindingOptions): IWorkloadIdentity {
    const raw = `${this.clusterName}-${id}`;
    return new PodIdentityBinding(scope, id, {
      clusterName: this.clusterName,
      namespace: options.namespace,
      serviceAccountName: options.serviceAccountName,
      roleName: Token.isUnresolved(this.clusterName) ? raw : raw.replace(/[^A-Za-z0-9+=,.@_-]/g, '-').slice(0, 64),
      tags: this.tags,
      dependsOn: [],
    });
  }
}

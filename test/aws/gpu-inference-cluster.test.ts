import { EksCluster } from '@cdktf/provider-aws/lib/eks-cluster';
import { EksNodeGroup } from '@cdktf/provider-aws/lib/eks-node-group';
import { Release } from '@cdktf/provider-helm/lib/release';
import { Testing } from 'cdktf';
import { Cloud, EndpointAccess, Gpu, GpuInferenceCluster, GpuNodePool, MigLayout } from '../../lib';
import { awsStack, resourceNamed, resources, synthJson } from '../helpers';

function reference() {
  const stack = awsStack();
  new GpuInferenceCluster(stack, 'Gpu', {
    cloud: Cloud.aws({ endpointAccess: EndpointAccess.publicAndPrivate(['203.0.113.0/24']) }),
    clusterName: 'ai-prod',
    nodePools: [
      GpuNodePool.inference('llm', { gpu: Gpu.H100_80GB, mig: MigLayout.uniform('1g.10gb'), maxNodes: 4 }),
      GpuNodePool.inference('small', { gpu: Gpu.L4, timeSlicing: 4, maxNodes: 6 }),
      GpuNodePool.training('train', { gpu: Gpu.L40S, spot: true, maxNodes: 8 }),
      GpuNodePool.neuron('inf2', { instanceType: 'inf2.8xlarge', maxNodes: 2 }),
    ],
  });
  return stack;
}

describe('GpuInferenceCluster on AWS', () => {
  const stack = reference();
  const synthesized = Testing.synth(stack, true);
  const doc = JSON.parse(synthesized);

  test('control plane: private + allow-listed endpoint, KMS secrets, logs, API auth', () => {
    expect(synthesized).toHaveResourceWithProperties(EksCluster, {
      name: 'ai-prod',
      version: '1.35',
      bootstrap_self_managed_addons: false,
      access_config: { authentication_mode: 'API', bootstrap_cluster_creator_admin_permissions: false },
      vpc_config: expect.objectContaining({
        endpoint_private_access: true,
        endpoint_public_access: true,
        public_access_cidrs: ['203.0.113.0/24'],
      }),
      encryption_config: expect.objectContaining({ resources: ['secrets'] }),
      enabled_cluster_log_types: expect.arrayContaining(['api', 'audit', 'authenticator']),
    });
    const key = Object.values(resources(doc, 'aws_kms_key'))[0];
    expect(key.enable_key_rotation).toBe(true);
  });

  test('every node group uses a launch template with IMDSv2 and an encrypted gp3 root volume', () => {
    const lts = Object.values(resources(doc, 'aws_launch_template'));
    const groups = Object.values(resources(doc, 'aws_eks_node_group'));
    expect(lts).toHaveLength(groups.length);
    expect(groups).toHaveLength(5); // system + four pools
    for (const lt of lts) {
      expect(lt.metadata_options.http_tokens).toBe('required');
      expect(lt.block_device_mappings[0].ebs).toMatchObject({ volume_type: 'gp3', encrypted: 'true' });
    }
    for (const g of groups) expect(g.launch_template.id).toMatch(/^\$\{aws_launch_template\./);
  });

  test('MIG inference pool: NVIDIA AMI, GPU taint, MIG config label, scale-from-zero resource tag', () => {
    expect(synthesized).toHaveResourceWithProperties(EksNodeGroup, {
      node_group_name: 'llm',
      ami_type: 'AL2023_x86_64_NVIDIA',
      capacity_type: 'ON_DEMAND',
      instance_types: ['p5.4xlarge'],
      scaling_config: { min_size: 0, desired_size: 0, max_size: 4 },
      labels: expect.objectContaining({
        'nvidia.com/mig.config': 'all-1g.10gb',
        'ai-platform.dev/mig-profile': '1g.10gb',
        'ai-platform.dev/role': 'inference',
      }),
      taint: [{ key: 'nvidia.com/gpu', value: 'true', effect: 'NO_SCHEDULE' }],
    });
    const tag = resourceNamed(doc, 'aws_autoscaling_group_tag', 'Pool-llm');
    // single strategy: 7 x 1g.10gb slices on p5.4xlarge's one H100 appear as nvidia.com/gpu
    expect(tag.tag).toEqual({
      key: 'k8s.io/cluster-autoscaler/node-template/resources/nvidia.com/gpu',
      value: '7',
      propagate_at_launch: false,
    });
  });

  test('time-sliced pool advertises replicas x GPUs and selects its device-plugin config', () => {
    expect(synthesized).toHaveResourceWithProperties(EksNodeGroup, {
      node_group_name: 'small',
      labels: expect.objectContaining({ 'nvidia.com/device-plugin.config': 'time-slicing-4' }),
    });
    expect(resourceNamed(doc, 'aws_autoscaling_group_tag', 'Pool-small').tag.value).toBe('4');
  });

  test('spot training pool: SPOT over every same-size type of the GPU, spot taint', () => {
    const g = resourceNamed(doc, 'aws_eks_node_group', 'Pool-train');
    expect(g.capacity_type).toBe('SPOT');
    expect(g.instance_types).toEqual(['g6e.48xlarge']);
    expect(g.taint).toContainEqual({ key: 'ai-platform.dev/spot', value: 'true', effect: 'NO_SCHEDULE' });
  });

  test('Neuron pool: Neuron AMI and taint, Neuron chart installed', () => {
    expect(synthesized).toHaveResourceWithProperties(EksNodeGroup, {
      node_group_name: 'inf2',
      ami_type: 'AL2023_x86_64_NEURON',
      taint: [{ key: 'aws.amazon.com/neuron', value: 'true', effect: 'NO_SCHEDULE' }],
    });
    expect(synthesized).toHaveResourceWithProperties(Release, { chart: 'neuron-helm-chart', version: '1.9.0' });
  });

  test('GPU operator leaves driver and toolkit to the AMI and carries the time-slicing config', () => {
    const op = resourceNamed(doc, 'helm_release', 'GpuOperator');
    expect(op.version).toBe('v26.7.0');
    const values: string = op.values[0];
    expect(values).toMatch(/^driver:\n {2}enabled: false$/m);
    expect(values).toMatch(/^toolkit:\n {2}enabled: false$/m);
    expect(values).toContain('time-slicing-4: |-');
    expect(values).toContain('replicas: 4');
    expect(values).toMatch(/^mig:\n {2}strategy: single$/m);
    // NFD must label spot training nodes too, or the operator never deploys the device plugin there.
    expect(values).toMatch(/ {2}worker:\n {4}tolerations:\n(?: {6}.*\n)*? {6}- key: ai-platform\.dev\/spot\n/);
  });

  test('cluster-autoscaler gets Pod Identity with scale actions limited to this cluster', () => {
    const assoc = Object.values(resources(doc, 'aws_eks_pod_identity_association'));
    expect(assoc).toContainEqual(expect.objectContaining({ namespace: 'kube-system', service_account: 'cluster-autoscaler' }));
    const policy = JSON.parse(Object.values(resources(doc, 'aws_iam_role_policy'))[0].policy);
    const scale = policy.Statement.find((s: any) => s.Sid === 'ScaleOwnGroups');
    expect(scale.Condition.StringEquals).toEqual({ 'aws:ResourceTag/k8s.io/cluster-autoscaler/ai-prod': ['owned'] });
    const ca = resourceNamed(doc, 'helm_release', 'ClusterAutoscaler');
    expect(ca.depends_on).toEqual(expect.arrayContaining([expect.stringMatching(/aws_eks_pod_identity_association/)]));
    expect(ca.values[0]).toContain('tag: v1.35.2');
  });

  test('in-cluster installs wait for system nodes and CoreDNS; providers are wired to the cluster', () => {
    for (const r of Object.values(resources(doc, 'helm_release'))) {
      expect(r.depends_on).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/aws_eks_node_group\..*SystemNodes/),
          expect.stringMatching(/aws_eks_addon\..*coredns/),
        ]),
      );
      expect(r.provider).toMatch(/^helm\./);
    }
    expect(doc.provider.helm[0].kubernetes.host).toMatch(/aws_eks_cluster\..*\.endpoint/);
    expect(doc.provider.kubernetes[0].exec[0].command).toBe('aws');
  });

  test('encrypted, retained gp3 default StorageClass backed by the EBS CSI driver with Pod Identity', () => {
    const sc = Object.values(resources(doc, 'kubernetes_storage_class_v1'))[0];
    expect(sc).toMatchObject({
      storage_provisioner: 'ebs.csi.aws.com',
      reclaim_policy: 'Retain',
      parameters: { type: 'gp3', encrypted: 'true' },
    });
    expect(sc.metadata.annotations['storageclass.kubernetes.io/is-default-class']).toBe('true');
    expect(Object.values(resources(doc, 'aws_eks_pod_identity_association'))).toContainEqual(
      expect.objectContaining({ service_account: 'ebs-csi-controller-sa' }),
    );
    expect(
      Object.values(resources(doc, 'aws_eks_addon'))
        .map((a: any) => a.addon_name)
        .sort(),
    ).toEqual(['aws-ebs-csi-driver', 'coredns', 'eks-node-monitoring-agent', 'eks-pod-identity-agent', 'kube-proxy', 'vpc-cni']);
  });

  test('inference and training priority classes', () => {
    const pcs = Object.values(resources(doc, 'kubernetes_priority_class_v1'));
    expect(pcs.map((p: any) => [p.metadata.name, p.preemption_policy])).toEqual([
      ['ai-inference', 'PreemptLowerPriority'],
      ['ai-training', 'Never'],
    ]);
  });

  test('creates no kubernetes_manifest (the first plan would fail before the API server exists)', () => {
    expect(resources(doc, 'kubernetes_manifest')).toEqual({});
  });
});

describe('mixed MIG layouts switch the cluster to the mixed strategy', () => {
  const stack = awsStack();
  new GpuInferenceCluster(stack, 'Gpu', {
    cloud: Cloud.aws({ endpointAccess: EndpointAccess.publicAndPrivate(['198.51.100.7/32']) }),
    clusterName: 'mixed',
    nodePools: [
      GpuNodePool.inference('uni', { gpu: Gpu.H100_80GB, mig: MigLayout.uniform('1g.10gb'), maxNodes: 1 }),
      GpuNodePool.inference('mix', {
        gpu: Gpu.A100_80GB,
        mig: MigLayout.mixed([
          { profile: '3g.40gb', count: 1 },
          { profile: '1g.10gb', count: 4 },
        ]),
        maxNodes: 1,
      }),
    ],
  });
  const doc = synthJson(stack);

  const poolTags = (pool: string) =>
    Object.entries(resources(doc, 'aws_autoscaling_group_tag'))
      .filter(([n]) => n.includes(`Pool-${pool}_`))
      .map(([, r]) => r.tag);

  test('MIG slices are named per profile on every pool, and no whole GPU is expected of a new node', () => {
    expect(poolTags('uni')).toEqual([
      { key: 'k8s.io/cluster-autoscaler/node-template/resources/nvidia.com/gpu', value: '0', propagate_at_launch: false },
      { key: 'k8s.io/cluster-autoscaler/node-template/resources/nvidia.com/mig-1g.10gb', value: '7', propagate_at_launch: false },
    ]);
    expect(poolTags('mix')).toEqual([
      { key: 'k8s.io/cluster-autoscaler/node-template/resources/nvidia.com/gpu', value: '0', propagate_at_launch: false },
      { key: 'k8s.io/cluster-autoscaler/node-template/resources/nvidia.com/mig-3g.40gb', value: '8', propagate_at_launch: false },
      { key: 'k8s.io/cluster-autoscaler/node-template/resources/nvidia.com/mig-1g.10gb', value: '32', propagate_at_launch: false },
    ]);
  });

  test('the generated mig-parted config holds every pool layout and the MIG manager uses it', () => {
    const values: string = resourceNamed(doc, 'helm_release', 'GpuOperator').values[0];
    expect(values).toMatch(/^mig:\n {2}strategy: mixed$/m);
    expect(values).toContain('name: ai-platform-mig-parted-config');
    expect(values).toContain('custom-mix:');
    expect(values).toContain('all-1g.10gb:');
    expect(resourceNamed(doc, 'aws_eks_node_group', 'Pool-mix').labels['nvidia.com/mig.config']).toBe('custom-mix');
  });
});

test('a private endpoint is the default', () => {
  const stack = awsStack();
  // A private API is reachable here: the VPC exists already and Terraform runs inside it.
  new GpuInferenceCluster(stack, 'Gpu', {
    cloud: Cloud.aws({ existingVpc: { privateSubnetIds: ['subnet-a', 'subnet-b'] } }),
    clusterName: 'p',
    nodePools: [GpuNodePool.inference('a', { gpu: Gpu.T4, maxNodes: 1 })],
  });
  const cluster = Object.values(resources(synthJson(stack), 'aws_eks_cluster'))[0];
  expect(cluster.vpc_config.endpoint_public_access).toBe(false);
  expect(cluster.vpc_config.public_access_cidrs).toBeUndefined();
});

test('an existing VPC replaces the new one', () => {
  const stack = awsStack();
  new GpuInferenceCluster(stack, 'Gpu', {
    cloud: Cloud.aws({ existingVpc: { privateSubnetIds: ['subnet-a', 'subnet-b'] } }),
    clusterName: 'byo',
    nodePools: [GpuNodePool.inference('a', { gpu: Gpu.T4, maxNodes: 1 })],
  });
  const doc = synthJson(stack);
  expect(resources(doc, 'aws_vpc')).toEqual({});
  expect(Object.values(resources(doc, 'aws_eks_cluster'))[0].vpc_config.subnet_ids).toEqual(['subnet-a', 'subnet-b']);
});

test('a new VPC spans the requested zones with private and public subnets', () => {
  const stack = awsStack();
  new GpuInferenceCluster(stack, 'Gpu', {
    cloud: Cloud.aws({
      availabilityZoneCount: 2,
      singleNatGateway: true,
      endpointAccess: EndpointAccess.publicAndPrivate(['198.51.100.7/32']),
    }),
    clusterName: 'net',
    nodePools: [GpuNodePool.inference('a', { gpu: Gpu.T4, maxNodes: 1 })],
  });
  const doc = synthJson(stack);
  expect(Object.keys(resources(doc, 'aws_subnet'))).toHaveLength(4);
  expect(Object.keys(resources(doc, 'aws_nat_gateway'))).toHaveLength(1);
  const privates = Object.values(resources(doc, 'aws_subnet')).filter((s: any) => s.tags['kubernetes.io/role/internal-elb'] === '1');
  expect(privates).toHaveLength(2);
});

import * as fs from 'fs';
import * as path from 'path';
import * as YAML from 'yaml';
import { TerraformVariable } from 'cdktf';
import { CapacityReservation, Cloud, EndpointAccess, Gpu, GpuInferenceCluster, GpuNodePool, GpuProvisioner, MigLayout } from '../../lib';
import { crdProblems } from '../crd-schema';
import { awsStack, problemLines, resourceNamed, resources, synthAppMerged, synthJson } from '../helpers';

const SCHEMAS: { [kind: string]: any } = Object.fromEntries(
  ['NodePool', 'EC2NodeClass', 'NodeOverlay'].map((k) => [
    k,
    JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'karpenter', `${k}.json`), 'utf8')),
  ]),
);

/** One pool of each shape: whole GPU, MIG (uniform and mixed), time-sliced, spot, Neuron. */
function pools(): GpuNodePool[] {
  return [
    GpuNodePool.inference('whole', { gpu: Gpu.L40S, maxNodes: 3 }),
    GpuNodePool.inference('mig', { gpu: Gpu.H100_80GB, mig: MigLayout.uniform('1g.10gb'), maxNodes: 4 }),
    GpuNodePool.inference('mixed', {
      gpu: Gpu.A100_80GB,
      mig: MigLayout.mixed([
        { profile: '3g.40gb', count: 1 },
        { profile: '2g.20gb', count: 1 },
        { profile: '1g.10gb', count: 2 },
      ]),
      maxNodes: 2,
    }),
    GpuNodePool.inference('sliced', { gpu: Gpu.L4, timeSlicing: 4, maxNodes: 6 }),
    GpuNodePool.training('spot', { gpu: Gpu.A100_80GB, spot: true, maxNodes: 8 }),
    GpuNodePool.neuron('inf2', { instanceType: 'inf2.8xlarge', maxNodes: 2 }),
  ];
}

function synth(gpuProvisioner?: GpuProvisioner, extra: { [key: string]: any } = {}): any {
  const stack = awsStack();
  new GpuInferenceCluster(stack, 'Gpu', {
    cloud: Cloud.aws({ endpointAccess: EndpointAccess.publicAndPrivate(['203.0.113.0/24']), gpuProvisioner, ...extra }),
    clusterName: 'ai-prod',
    nodePools: pools(),
  });
  return synthJson(stack);
}

/** The objects of the Karpenter pools release, by kind and name. */
function objects(doc: any): { [kindName: string]: any } {
  const release = resourceNamed(doc, 'helm_release', 'Karpenter_NodePools');
  const manifests: any[] = YAML.parse(release.values[0]).manifests;
  return Object.fromEntries(manifests.map((m) => [`${m.kind}/${m.metadata.name}`, m]));
}

const EFFECT: { [eks: string]: string } = { NO_SCHEDULE: 'NoSchedule', PREFER_NO_SCHEDULE: 'PreferNoSchedule', NO_EXECUTE: 'NoExecute' };

describe('Karpenter provisions the same pools as the managed node groups', () => {
  const mng = synth();
  const kp = synth(GpuProvisioner.karpenter());
  const objs = objects(kp);
  const groups = Object.values(resources(mng, 'aws_eks_node_group')).filter((g: any) => g.node_group_name !== 'system');
  const asgTags = Object.values(resources(mng, 'aws_autoscaling_group_tag'));

  test('every pool shape is covered', () => {
    expect(groups.map((g: any) => g.node_group_name).sort()).toEqual(['inf2', 'mig', 'mixed', 'sliced', 'spot', 'whole']);
  });

  test.each(['whole', 'mig', 'mixed', 'sliced', 'spot', 'inf2'])('%s: labels, taints, instance types, capacity type, disk', (name) => {
    const group: any = groups.find((g: any) => g.node_group_name === name);
    const pool = objs[`NodePool/${name}`].spec;
    const nodeClass = objs[`EC2NodeClass/${name}`].spec;
    expect(pool.template.metadata.labels).toEqual(group.labels);
    expect(pool.template.spec.taints).toEqual(group.taint.map((t: any) => ({ key: t.key, value: t.value, effect: EFFECT[t.effect] })));
    const req = (key: string) => pool.template.spec.requirements.find((r: any) => r.key === key).values;
    expect(req('node.kubernetes.io/instance-type')).toEqual(group.instance_types);
    expect(req('karpenter.sh/capacity-type')).toEqual([group.capacity_type === 'SPOT' ? 'spot' : 'on-demand']);
    const lt: any = Object.values(resources(mng, 'aws_launch_template')).find((l: any) => l.name_prefix === `${name}-lt-`);
    expect(nodeClass.blockDeviceMappings[0].ebs.volumeSize).toBe(`${lt.block_device_mappings[0].ebs.volume_size}Gi`);
  });

  test.each(['whole', 'mig', 'mixed', 'sliced', 'spot', 'inf2'])('%s: limits are maxNodes times what a node advertises', (name) => {
    const group: any = groups.find((g: any) => g.node_group_name === name);
    const limits = objs[`NodePool/${name}`].spec.limits;
    expect(limits.nodes).toBe(String(group.scaling_config.max_size));
    // The scale-from-zero tags of the group's ASG say what one node advertises.
    const perNode = asgTags
      .filter((t: any) => t.autoscaling_group_name.includes(`Pool-${name}_`))
      .map(
        (t: any) => [t.tag.key.replace('k8s.io/cluster-autoscaler/node-template/resources/', ''), Number(t.tag.value)] as [string, number],
      );
    expect(perNode.length).toBeGreaterThan(0);
    for (const [resource, count] of perNode) {
      // A resource a node advertises none of (whole GPUs under mixed MIG) gets no limit: 0 would block launches.
      if (count === 0) expect(limits[resource]).toBeUndefined();
      else expect(limits[resource]).toBe(String(count * group.scaling_config.max_size));
    }
    expect(Number(limits.cpu)).toBeGreaterThan(0);
  });

  test('no accelerator node groups, no scale-from-zero tags: the system group only', () => {
    expect(Object.values(resources(kp, 'aws_eks_node_group')).map((g: any) => g.node_group_name)).toEqual(['system']);
    expect(resources(kp, 'aws_autoscaling_group_tag')).toEqual({});
  });

  test('every object fits its pinned CRD', () => {
    for (const [id, m] of Object.entries(objs)) {
      const { apiVersion, kind, metadata, ...rest } = m;
      // A kind without a pinned schema would pass crdProblems unchecked.
      expect([id, SCHEMAS[kind] !== undefined]).toEqual([id, true]);
      expect([id, crdProblems(SCHEMAS[kind], { apiVersion, kind, metadata, ...rest })]).toEqual([id, []]);
    }
  });

  test('disruption never evicts a running pod voluntarily; nodes do not expire', () => {
    for (const name of ['whole', 'spot']) {
      const spec = objs[`NodePool/${name}`].spec;
      expect(spec.disruption).toEqual({
        consolidationPolicy: 'WhenEmpty',
        consolidateAfter: '10m',
        budgets: [
          { nodes: '0', reasons: ['Drifted', 'Underutilized'] },
          { nodes: '1', reasons: ['Empty'] },
        ],
      });
      expect(spec.template.spec.expireAfter).toBe('Never');
      expect(spec.template.spec.terminationGracePeriod).toBe('30m');
    }
  });

  test('node class: pinned AL2023 alias, IMDSv2 with one hop, encrypted gp3, Terraform instance profile, discovery tags', () => {
    const spec = objs['EC2NodeClass/mig'].spec;
    expect(spec.amiSelectorTerms).toEqual([{ alias: 'al2023@v20260818' }]);
    expect(spec.metadataOptions).toMatchObject({ httpTokens: 'required', httpPutResponseHopLimit: 1 });
    expect(spec.blockDeviceMappings[0]).toMatchObject({ rootVolume: true, ebs: { volumeType: 'gp3', encrypted: true } });
    expect(spec.instanceProfile).toMatch(/^\$\{aws_iam_instance_profile\.Gpu_Cluster_Karpenter_InstanceProfile_/);
    expect(spec.role).toBeUndefined();
    const discovery = [{ tags: { 'karpenter.sh/discovery': expect.stringMatching(/^\$\{aws_eks_cluster\./) } }];
    expect(spec.subnetSelectorTerms).toEqual(discovery);
    expect(spec.securityGroupSelectorTerms).toEqual(discovery);
    for (const s of Object.values(resources(kp, 'aws_subnet')).filter((x: any) => x.tags.Name.includes('private')))
      expect((s as any).tags['karpenter.sh/discovery']).toBe('ai-prod');
    expect(resourceNamed(kp, 'aws_ec2_tag', 'SecurityGroupDiscovery')).toMatchObject({
      key: 'karpenter.sh/discovery',
      resource_id: expect.stringContaining('cluster_security_group_id'),
    });
    // The managed node group synth keeps its subnets untagged.
    for (const s of Object.values(resources(mng, 'aws_subnet'))) expect((s as any).tags['karpenter.sh/discovery']).toBeUndefined();
  });

  test('MIG devices get a NodeOverlay; resources Karpenter knows (whole, time-sliced GPUs, Neuron) get none', () => {
    // The mixed pool makes the cluster's strategy mixed: the uniform pool's nodes advertise MIG devices too.
    expect(
      Object.keys(objs)
        .filter((k) => k.startsWith('NodeOverlay/'))
        .sort(),
    ).toEqual(['NodeOverlay/mig', 'NodeOverlay/mixed']);
    expect(objs['NodeOverlay/mig'].spec).toEqual({
      requirements: [{ key: 'karpenter.sh/nodepool', operator: 'In', values: ['mig'] }],
      capacity: { 'nvidia.com/mig-1g.10gb': '7' },
    });
    expect(objs['NodeOverlay/mixed'].spec.capacity).toEqual({
      'nvidia.com/mig-3g.40gb': '8',
      'nvidia.com/mig-2g.20gb': '8',
      'nvidia.com/mig-1g.10gb': '16',
    });
    const values = YAML.parse(resourceNamed(kp, 'helm_release', 'Karpenter_Chart').values[0]);
    expect(values.settings.featureGates).toEqual({ nodeOverlay: true, nodeRepair: true });
  });

  test('without MIG devices, no overlay and the alpha gate stays off', () => {
    const stack = awsStack();
    new GpuInferenceCluster(stack, 'Gpu', {
      cloud: Cloud.aws({ endpointAccess: EndpointAccess.publicAndPrivate(['203.0.113.0/24']), gpuProvisioner: GpuProvisioner.karpenter() }),
      clusterName: 'ai-prod',
      nodePools: [
        GpuNodePool.inference('sliced', { gpu: Gpu.L4, timeSlicing: 4, maxNodes: 6 }),
        GpuNodePool.inference('mig', { gpu: Gpu.H100_80GB, mig: MigLayout.uniform('1g.10gb'), maxNodes: 4 }),
      ],
    });
    const doc = synthJson(stack);
    expect(Object.keys(objects(doc)).filter((k) => k.startsWith('NodeOverlay/'))).toEqual([]);
    expect(YAML.parse(resourceNamed(doc, 'helm_release', 'Karpenter_Chart').values[0]).settings.featureGates).toEqual({
      nodeOverlay: false,
      nodeRepair: true,
    });
  });

  test('node repair follows nodeAutoRepair: Karpenter replaces unhealthy nodes, as node auto repair does for node groups', () => {
    const stack = awsStack();
    new GpuInferenceCluster(stack, 'Gpu', {
      cloud: Cloud.aws({
        endpointAccess: EndpointAccess.publicAndPrivate(['203.0.113.0/24']),
        gpuProvisioner: GpuProvisioner.karpenter(),
        nodeAutoRepair: false,
      }),
      clusterName: 'ai-prod',
      nodePools: [GpuNodePool.inference('llm', { gpu: Gpu.L4, maxNodes: 2 })],
    });
    const gates = YAML.parse(resourceNamed(synthJson(stack), 'helm_release', 'Karpenter_Chart').values[0]).settings.featureGates;
    expect(gates.nodeRepair).toBe(false);
  });

  test('node role: its own, with an EC2_LINUX access entry (the managed groups keep theirs)', () => {
    const entry = resourceNamed(kp, 'aws_eks_access_entry', 'Karpenter_NodeAccess');
    expect(entry).toMatchObject({ type: 'EC2_LINUX', principal_arn: expect.stringContaining('Gpu_Cluster_Karpenter_NodeRole_') });
    expect(resourceNamed(kp, 'aws_iam_role', 'Karpenter_NodeRole').name).toBe('ai-prod-karpenter-node');
    expect(resourceNamed(kp, 'aws_iam_instance_profile', 'Karpenter_InstanceProfile').role).toContain('Karpenter_NodeRole_');
  });
});

describe('Karpenter controller', () => {
  const doc = synth(GpuProvisioner.karpenter());
  const chart = resourceNamed(doc, 'helm_release', 'Karpenter_Chart');
  const crds = resourceNamed(doc, 'helm_release', 'Karpenter_Crds');
  const pools = resourceNamed(doc, 'helm_release', 'Karpenter_NodePools');

  test('pinned charts; CRDs from karpenter-crd, which upgrades them; controller in kube-system', () => {
    expect(chart).toMatchObject({ chart: 'karpenter', version: '1.14.1', namespace: 'kube-system' });
    expect(chart.skip_crds).toBeUndefined();
    expect(crds).toMatchObject({ chart: 'karpenter-crd', version: '1.14.1', namespace: 'kube-system' });
    // An uninstall or a replaced release leaves the CRDs, and so every NodePool and NodeClaim, in place.
    expect(YAML.parse(crds.values[0])).toEqual({ additionalAnnotations: { 'helm.sh/resource-policy': 'keep' } });
    const values = YAML.parse(chart.values[0]);
    expect(values.settings).toMatchObject({
      clusterName: 'ai-prod',
      clusterEndpoint: expect.stringContaining('.endpoint}'),
      interruptionQueue: expect.stringContaining('aws_sqs_queue.'),
    });
    expect(values.serviceAccount).toEqual({ create: true, name: 'karpenter' });
    expect(values.controller.env).toEqual([{ name: 'AWS_REGION', value: expect.stringContaining('aws_eks_cluster') }]);
    // The chart's default affinity (karpenter.sh/nodepool DoesNotExist) keeps it on the system group.
    expect(values.affinity).toBeUndefined();
  });

  test('order: CRDs, then controller (identity, queue), then pools (node role, profile, access entry); add-ons after pools', () => {
    expect(chart.depends_on).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^helm_release\.Gpu_Karpenter_Crds_/),
        expect.stringMatching(/^aws_eks_pod_identity_association\.Gpu_Cluster_karpenter_Association_/),
        expect.stringMatching(/^aws_iam_role_policy\.Gpu_Cluster_karpenter_Policy_/),
        expect.stringMatching(/^aws_sqs_queue_policy\./),
      ]),
    );
    expect(pools.depends_on).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^helm_release\.Gpu_Karpenter_Chart_/),
        expect.stringMatching(/^aws_iam_instance_profile\./),
        expect.stringMatching(/^aws_eks_access_entry\.Gpu_Cluster_Karpenter_NodeAccess_/),
        expect.stringMatching(/^aws_ec2_tag\./),
      ]),
    );
    // Destroy waits until Karpenter's finalizers let the node classes go: every node drained and terminated.
    expect(pools).toMatchObject({ wait: true, timeout: 2400 });
    const operator = resourceNamed(doc, 'helm_release', 'GpuOperator_Chart');
    expect(operator.depends_on).toEqual(expect.arrayContaining([expect.stringMatching(/^helm_release\.Gpu_Karpenter_NodePools_/)]));
  });

  test('Pod Identity with a policy scoped to this cluster, no IAM writes beyond passing the node role and the Spot service-linked role', () => {
    expect(resourceNamed(doc, 'aws_eks_pod_identity_association', 'karpenter')).toMatchObject({
      namespace: 'kube-system',
      service_account: 'karpenter',
    });
    const policy = JSON.parse(resourceNamed(doc, 'aws_iam_role_policy', 'karpenter_Policy').policy);
    const actions = policy.Statement.flatMap((s: any) => s.Action);
    expect(actions).toEqual(expect.arrayContaining(['ec2:RunInstances', 'ec2:TerminateInstances', 'sqs:ReceiveMessage', 'iam:PassRole']));
    expect(
      actions.filter(
        (a: string) =>
          a.startsWith('iam:') &&
          !['iam:PassRole', 'iam:GetInstanceProfile', 'iam:ListInstanceProfiles', 'iam:CreateServiceLinkedRole'].includes(a),
      ),
    ).toEqual([]);
    const terminate = policy.Statement.find((s: any) => s.Sid === 'AllowScopedDeletion');
    expect(Object.keys(terminate.Condition.StringEquals)[0]).toMatch(/^aws:ResourceTag\/kubernetes\.io\/cluster\/\$\{aws_eks_cluster\./);
    expect(terminate.Condition.StringLike).toEqual({ 'aws:ResourceTag/karpenter.sh/nodepool': ['*'] });
    const pass = policy.Statement.find((s: any) => s.Sid === 'AllowPassingInstanceRole');
    expect(pass.Resource).toEqual([expect.stringContaining('Gpu_Cluster_Karpenter_NodeRole_')]);
  });

  test('spot launches in an account that never ran Spot: EC2 Spot service-linked role only', () => {
    const policy = JSON.parse(resourceNamed(doc, 'aws_iam_role_policy', 'karpenter_Policy').policy);
    const slr = policy.Statement.filter((s: any) => [s.Action].flat().includes('iam:CreateServiceLinkedRole'));
    expect(slr).toEqual([
      {
        Sid: 'AllowSpotServiceLinkedRoleCreation',
        Effect: 'Allow',
        Action: ['iam:CreateServiceLinkedRole'],
        Resource: [
          expect.stringMatching(/^arn:\$\{data\.aws_partition\..*\.partition\}:iam::\*:role\/aws-service-role\/spot\.amazonaws\.com\/\*$/),
        ],
        Condition: { StringEquals: { 'iam:AWSServiceName': ['spot.amazonaws.com'] } },
      },
    ]);
  });

  test('interruption queue: SSE, short retention, TLS only, fed by five EventBridge rules', () => {
    expect(resourceNamed(doc, 'aws_sqs_queue', 'InterruptionQueue')).toMatchObject({
      name: 'ai-prod-karpenter',
      sqs_managed_sse_enabled: true,
      message_retention_seconds: 300,
    });
    const policy = JSON.parse(resourceNamed(doc, 'aws_sqs_queue_policy', 'InterruptionQueue').policy);
    expect(policy.Statement.map((s: any) => s.Effect)).toEqual(['Allow', 'Deny']);
    const rules = Object.values(resources(doc, 'aws_cloudwatch_event_rule')).map((r: any) => JSON.parse(r.event_pattern)['detail-type'][0]);
    expect(rules.sort()).toEqual([
      'AWS Health Event',
      'EC2 Capacity Reservation Instance Interruption Warning',
      'EC2 Instance Rebalance Recommendation',
      'EC2 Instance State-change Notification',
      'EC2 Spot Instance Interruption Warning',
    ]);
    expect(Object.keys(resources(doc, 'aws_cloudwatch_event_target'))).toHaveLength(5);
    for (const r of Object.values(resources(doc, 'aws_cloudwatch_event_rule'))) expect((r as any).name.length).toBeLessThanOrEqual(64);
  });

  test('cluster-autoscaler stays for the system group', () => {
    expect(resourceNamed(doc, 'helm_release', 'ClusterAutoscaler').chart).toBe('cluster-autoscaler');
  });
});

describe('Karpenter options', () => {
  test('spot with on-demand fallback', () => {
    const objs = objects(synth(GpuProvisioner.karpenter({ spotFallbackToOnDemand: true })));
    const req = (name: string) =>
      objs[`NodePool/${name}`].spec.template.spec.requirements.find((r: any) => r.key === 'karpenter.sh/capacity-type').values;
    expect(req('spot')).toEqual(['spot', 'on-demand']);
    expect(req('whole')).toEqual(['on-demand']);
  });

  test('node class tags leave out the keys Karpenter owns and empty values, which its CRD rejects', () => {
    const stack = awsStack();
    new GpuInferenceCluster(stack, 'Gpu', {
      cloud: Cloud.aws({ endpointAccess: EndpointAccess.publicAndPrivate(['203.0.113.0/24']), gpuProvisioner: GpuProvisioner.karpenter() }),
      clusterName: 'ai-prod',
      tags: { team: 'ml', 'kubernetes.io/cluster/ai-prod': 'owned', note: '' },
      nodePools: [GpuNodePool.inference('l4', { gpu: Gpu.L4, maxNodes: 2 })],
    });
    // No Name tag: Karpenter then names each instance after its node.
    expect(objects(synthJson(stack))['EC2NodeClass/l4'].spec.tags).toEqual({ team: 'ml', 'ai-platform.dev/pool': 'l4' });
  });

  test('an existing VPC is selected by subnet id, not tagged', () => {
    const doc = synth(GpuProvisioner.karpenter(), {
      existingVpc: { privateSubnetIds: ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1'] },
    });
    expect(objects(doc)['EC2NodeClass/whole'].spec.subnetSelectorTerms).toEqual([
      { id: 'subnet-0123456789abcdef0' },
      { id: 'subnet-0123456789abcdef1' },
    ]);
  });

  test('problems are reported together, with the fix', () => {
    const stack = awsStack();
    new GpuInferenceCluster(stack, 'Gpu', {
      cloud: Cloud.aws({
        endpointAccess: EndpointAccess.publicAndPrivate(['203.0.113.0/24']),
        systemMinNodes: 1,
        gpuProvisioner: GpuProvisioner.karpenter({ amiAlias: 'al2023@latest', consolidateAfter: 'soon' }),
      }),
      clusterName: 'ai-prod',
      nodePools: [GpuNodePool.inference('whole', { gpu: Gpu.L40S, maxNodes: 3 })],
    });
    expect(problemLines(stack)).toEqual([
      expect.stringMatching(
        /cloud\.gpuProvisioner\.amiAlias 'al2023@latest' is not a pinned AL2023 release; use 'al2023@v<yyyymmdd>'.*'al2023@v20260818'.*running nodes keep older ones/,
      ),
      expect.stringMatching(/cloud\.gpuProvisioner\.consolidateAfter 'soon' is not a duration; use e\.g\. '30s', '10m', '1h' or 'Never'/),
      expect.stringMatching(/systemMinNodes 1 is fewer than the 2 Karpenter controller replicas.*; use systemMinNodes >= 2/),
    ]);
  });
});

describe('Karpenter pool checks', () => {
  test('minNodes above 0 cannot be kept by a NodePool', () => {
    const stack = awsStack();
    new GpuInferenceCluster(stack, 'Gpu', {
      cloud: Cloud.aws({ endpointAccess: EndpointAccess.publicAndPrivate(['203.0.113.0/24']), gpuProvisioner: GpuProvisioner.karpenter() }),
      clusterName: 'ai-prod',
      nodePools: [GpuNodePool.inference('warm', { gpu: Gpu.L4, minNodes: 1, maxNodes: 3 })],
    });
    expect(problemLines(stack)).toEqual([
      expect.stringMatching(
        /nodePools\[warm\]\.minNodes 1 cannot be kept by Karpenter, which launches nodes for pending pods only .*; use minNodes 0 .*, or GpuProvisioner\.managedNodeGroups\(\)/,
      ),
    ]);
  });

  test('maxNodes and disk size from variables become Terraform expressions, never numbers made of tokens', () => {
    const stack = awsStack();
    const max = new TerraformVariable(stack, 'max_nodes', { type: 'number', default: 4 });
    const disk = new TerraformVariable(stack, 'disk', { type: 'number', default: 300 });
    new GpuInferenceCluster(stack, 'Gpu', {
      cloud: Cloud.aws({ endpointAccess: EndpointAccess.publicAndPrivate(['203.0.113.0/24']), gpuProvisioner: GpuProvisioner.karpenter() }),
      clusterName: 'ai-prod',
      nodePools: [GpuNodePool.inference('l4', { gpu: Gpu.L4, maxNodes: max.numberValue, diskSizeGib: disk.numberValue })],
    });
    const objs = objects(synthJson(stack));
    expect(objs['NodePool/l4'].spec.limits).toEqual({
      nodes: '${var.max_nodes}',
      cpu: '${(var.max_nodes * 4)}',
      'nvidia.com/gpu': '${(var.max_nodes * 1)}',
    });
    expect(objs['EC2NodeClass/l4'].spec.blockDeviceMappings[0].ebs.volumeSize).toBe('${var.disk}Gi');
  });

  test('with a data stack the tagged subnets live there, the node class selects them by tag', () => {
    const { stacks } = synthAppMerged((app) => {
      const stack = awsStack('cluster', undefined, app);
      const data = awsStack('data', undefined, app);
      new GpuInferenceCluster(stack, 'Gpu', {
        cloud: Cloud.aws({
          endpointAccess: EndpointAccess.publicAndPrivate(['203.0.113.0/24']),
          gpuProvisioner: GpuProvisioner.karpenter(),
        }),
        clusterName: 'ai-prod',
        dataStack: data,
        nodePools: [GpuNodePool.inference('l4', { gpu: Gpu.L4, maxNodes: 2 })],
      });
    });
    const privateSubnets = Object.values(resources(stacks.data, 'aws_subnet')).filter((x: any) => x.tags.Name.includes('private'));
    expect(privateSubnets.length).toBeGreaterThan(1);
    for (const s of privateSubnets) expect((s as any).tags['karpenter.sh/discovery']).toBe('ai-prod');
    expect(objects(stacks.cluster)['EC2NodeClass/l4'].spec.subnetSelectorTerms).toEqual([
      { tags: { 'karpenter.sh/discovery': expect.stringContaining('aws_eks_cluster') } },
    ]);
  });

  test('the in-cluster part in a second stack reads queue, profile and endpoint across stacks', () => {
    const { stacks } = synthAppMerged((app) => {
      const stack = awsStack('cluster', undefined, app);
      const inCluster = awsStack('in-cluster', undefined, app);
      new GpuInferenceCluster(stack, 'Gpu', {
        cloud: Cloud.aws({
          endpointAccess: EndpointAccess.publicAndPrivate(['203.0.113.0/24']),
          gpuProvisioner: GpuProvisioner.karpenter(),
        }),
        clusterName: 'ai-prod',
        inClusterStack: inCluster,
        nodePools: [GpuNodePool.inference('l4', { gpu: Gpu.L4, maxNodes: 2 })],
      });
    });
    expect(Object.keys(resources(stacks.cluster, 'aws_sqs_queue'))).toHaveLength(1);
    expect(resources(stacks.cluster, 'helm_release')).toEqual({});
    const spec = objects(stacks['in-cluster'])['EC2NodeClass/l4'].spec;
    expect(spec.instanceProfile).toMatch(/terraform_remote_state/);
    const values = YAML.parse(resourceNamed(stacks['in-cluster'], 'helm_release', 'Karpenter_Chart').values[0]);
    expect(values.settings.interruptionQueue).toMatch(/terraform_remote_state/);
  });
});

describe('Karpenter on reserved capacity', () => {
  function reserved(reservation: CapacityReservation, name = 'res'): any {
    const stack = awsStack();
    new GpuInferenceCluster(stack, 'Gpu', {
      cloud: Cloud.aws({ endpointAccess: EndpointAccess.publicAndPrivate(['203.0.113.0/24']), gpuProvisioner: GpuProvisioner.karpenter() }),
      clusterName: 'ai-prod',
      nodePools: [
        GpuNodePool.training(name, { gpu: Gpu.H100_80GB, instanceTypes: ['p5.48xlarge'], maxNodes: 2, capacityReservation: reservation }),
      ],
    });
    return stack;
  }

  test.each([
    ['targeted ODCR', CapacityReservation.ec2('cr-0123456789abcdef0'), [{ id: 'cr-0123456789abcdef0' }], ['reserved'], 'reserved'],
    [
      'Capacity Block',
      CapacityReservation.ec2CapacityBlock('cr-0123456789abcdef1'),
      [{ id: 'cr-0123456789abcdef1' }],
      ['reserved'],
      'reserved',
    ],
    ['open ODCR', CapacityReservation.ec2Open(), [{ instanceMatchCriteria: 'open' }], ['reserved', 'on-demand'], 'on-demand'],
  ])('%s: node class selects it, the pool asks for reserved capacity', (_name, reservation, terms, types, label) => {
    const objs = objects(synthJson(reserved(reservation)));
    expect(objs['EC2NodeClass/res'].spec.capacityReservationSelectorTerms).toEqual(terms);
    const spec = objs['NodePool/res'].spec;
    expect(spec.template.spec.requirements.find((r: any) => r.key === 'karpenter.sh/capacity-type').values).toEqual(types);
    expect(spec.template.metadata.labels['ai-platform.dev/capacity']).toBe(label);
    for (const [id, m] of Object.entries(objs)) {
      expect([id, SCHEMAS[(m as any).kind] !== undefined]).toEqual([id, true]);
      expect([id, crdProblems(SCHEMAS[(m as any).kind], m)]).toEqual([id, []]);
    }
  });

  test('a pool without a reservation has no selector for one', () => {
    const objs = objects(synth(GpuProvisioner.karpenter()));
    expect(objs['EC2NodeClass/whole'].spec.capacityReservationSelectorTerms).toBeUndefined();
  });

  test('a resource group or an Azure group cannot be mapped: synth says what to use instead', () => {
    expect(
      problemLines(reserved(CapacityReservation.ec2ResourceGroup('arn:aws:resource-groups:us-east-1:123456789012:group/gpu-odcrs'))),
    ).toEqual([
      expect.stringMatching(
        /nodePools\[res\]\.capacityReservation ec2-resource-group cannot be selected by Karpenter, .*; give the pool CapacityReservation\.ec2\('<cr-id>'\) per reservation, or provision it with GpuProvisioner\.managedNodeGroups\(\)/,
      ),
    ]);
    const azure = problemLines(
      reserved(
        CapacityReservation.azureGroup('/subscriptions/0000/resourceGroups/rg/providers/Microsoft.Compute/capacityReservationGroups/gpu'),
      ),
    );
    // Once, from the shared check, whichever provisioner builds the pool.
    expect(azure.filter((l) => l.includes('reservation on an'))).toEqual([
      expect.stringMatching(
        /nodePools\[res\]\.capacityReservation azure-group is an azure reservation on an AWS cluster; use CapacityReservation\.ec2/,
      ),
    ]);
  });
});

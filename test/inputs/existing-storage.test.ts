import { ExistingCluster, ObservabilityStack, TaintEffect } from '../../lib';
import { awsStack, azureStack, problemLines, resources, synthJson } from '../helpers';

const pools = [
  {
    name: 'h100',
    labels: { 'eks.amazonaws.com/nodegroup': 'h100' },
    taints: [{ key: 'nvidia.com/gpu', value: 'true', effect: TaintEffect.NO_SCHEDULE }],
    capacity: [{ name: 'nvidia.com/gpu', count: 8 }],
    maxNodes: 2,
  },
];

describe('ExistingCluster.fromEks storage', () => {
  test('without storageClassName the library creates an encrypted, retained gp3 class and add-ons use it', () => {
    const stack = awsStack();
    const cluster = ExistingCluster.fromEks(stack, 'Shared', { clusterName: 'shared', acceleratorPools: pools });
    new ObservabilityStack(stack, 'Obs', { cluster });
    const doc = synthJson(stack);
    const classes = Object.values(resources(doc, 'kubernetes_storage_class_v1')) as any[];
    expect(classes).toHaveLength(1);
    const sc = classes[0];
    expect(sc.metadata.name).toMatch(/^ai-platform-gp3-[0-9a-f]{6}$/);
    expect(sc.metadata.name).toBe(cluster.storageClassName);
    expect(sc).toMatchObject({
      // The EBS CSI driver, or EKS Auto Mode's own block storage, as the cluster runs it (known at plan).
      storage_provisioner:
        '${try(data.aws_eks_cluster.Shared_Cluster_Lookup_E9EC52B3.compute_config[0].enabled, false) ? "ebs.csi.eks.amazonaws.com" : "ebs.csi.aws.com"}',
      parameters: { type: 'gp3', encrypted: 'true' },
      reclaim_policy: 'Retain',
      volume_binding_mode: 'WaitForFirstConsumer',
      allow_volume_expansion: true,
    });
    // Not the cluster's default class: an existing cluster keeps its own.
    expect(sc.metadata.annotations).toBeUndefined();
    // Nothing asks for 'gp3', which EKS does not create.
    expect(JSON.stringify(doc.resource.helm_release)).not.toMatch(/storageClassName: gp3\b/);
    expect(JSON.stringify(doc.resource.helm_release)).toContain(sc.metadata.name);
  });

  test('by default the EBS CSI driver is required, not installed: plan fails with the reason when its CSIDriver is missing', () => {
    const stack = awsStack();
    ExistingCluster.fromEks(stack, 'Shared', { clusterName: 'shared', acceleratorPools: pools });
    const doc = synthJson(stack);
    expect(resources(doc, 'aws_eks_addon')).toEqual({});
    const checks = Object.values(doc.data.kubernetes_resources) as any[];
    expect(checks).toHaveLength(1);
    expect(checks[0]).toMatchObject({
      api_version: 'storage.k8s.io/v1',
      kind: 'CSIDriver',
      field_selector: 'metadata.name=ebs.csi.aws.com',
    });
    // EKS Auto Mode provisions block storage itself: no CSIDriver object is needed there.
    expect(checks[0].lifecycle.postcondition[0].condition).toBe(
      '${length(self.objects) > 0 || try(data.aws_eks_cluster.Shared_Cluster_Lookup_E9EC52B3.compute_config[0].enabled, false)}',
    );
    expect(checks[0].lifecycle.postcondition[0].error_message).toMatch(/EBS CSI driver .* not installed .*installEbsCsiDriver: true/);
  });

  test('installEbsCsiDriver adds the add-on with its Pod Identity, kept on destroy, and the class waits for it', () => {
    const stack = awsStack();
    ExistingCluster.fromEks(stack, 'Shared', { clusterName: 'shared', acceleratorPools: pools, installEbsCsiDriver: true });
    const doc = synthJson(stack);
    const addons = Object.entries(resources(doc, 'aws_eks_addon'));
    expect(addons).toHaveLength(1);
    const [addonName, addon] = addons[0] as [string, any];
    expect(addon).toMatchObject({ addon_name: 'aws-ebs-csi-driver', cluster_name: 'shared', preserve: true });
    const assoc = Object.values(resources(doc, 'aws_eks_pod_identity_association')) as any[];
    expect(assoc).toEqual([expect.objectContaining({ namespace: 'kube-system', service_account: 'ebs-csi-controller-sa' })]);
    expect(JSON.stringify(resources(doc, 'aws_iam_role_policy_attachment'))).toContain('AmazonEBSCSIDriverPolicy');
    const sc = Object.values(resources(doc, 'kubernetes_storage_class_v1'))[0] as any;
    expect(sc.depends_on).toContain(`aws_eks_addon.${addonName}`);
    // No CSIDriver check (the add-on is installed); the driver's own identity checks the Pod Identity agent.
    expect(Object.values<any>(doc.data.kubernetes_resources).map((d) => d.kind)).toEqual(['DaemonSet']);
  });

  test('a named storageClassName is used as is and checked to exist at plan; no class is created', () => {
    const stack = awsStack();
    const cluster = ExistingCluster.fromEks(stack, 'Shared', {
      clusterName: 'shared',
      acceleratorPools: pools,
      storageClassName: 'team-gp3',
    });
    const doc = synthJson(stack);
    expect(cluster.storageClassName).toBe('team-gp3');
    expect(resources(doc, 'kubernetes_storage_class_v1')).toEqual({});
    const checks = Object.values(doc.data.kubernetes_resources) as any[];
    expect(checks).toEqual([expect.objectContaining({ kind: 'StorageClass', field_selector: 'metadata.name=team-gp3' })]);
  });

  test('two stacks bringing the same cluster create differently named classes (no "already exists")', () => {
    const a = awsStack('a');
    const b = awsStack('b');
    const ca = ExistingCluster.fromEks(a, 'Shared', { clusterName: 'shared', acceleratorPools: pools });
    const cb = ExistingCluster.fromEks(b, 'Shared', { clusterName: 'shared', acceleratorPools: pools });
    expect(ca.storageClassName).not.toBe(cb.storageClassName);
  });
});

describe('ExistingCluster.fromAks storage', () => {
  const aks = { clusterName: 'shared', resourceGroupName: 'platform-rg', acceleratorPools: [] };

  test('storageClassName is required on AKS, whose built-in classes delete the disk with the claim', () => {
    const stack = azureStack();
    ExistingCluster.fromAks(stack, 'Shared', aks);
    expect(problemLines(stack)).toEqual([
      expect.stringMatching(
        /^test\/Shared: storageClassName undefined has no default on AKS, .*; name a StorageClass of the cluster with reclaimPolicy Retain/,
      ),
    ]);
  });

  test('an AKS built-in Delete class is accepted with a warning, and checked to exist at plan', () => {
    const stack = azureStack();
    const cluster = ExistingCluster.fromAks(stack, 'Shared', { ...aks, storageClassName: 'managed-csi-premium' });
    const doc = synthJson(stack);
    const checks = Object.values(doc.data.kubernetes_resources) as any[];
    expect(checks).toEqual([expect.objectContaining({ kind: 'StorageClass', field_selector: 'metadata.name=managed-csi-premium' })]);
    const messages = cluster.node.metadata.filter((m) => /warn/i.test(m.type)).map((m) => String(m.data));
    expect(messages).toEqual([
      expect.stringMatching(/^storageClassName 'managed-csi-premium' is an AKS built-in class with reclaimPolicy Delete/),
    ]);
  });
});

test('a workload identity on an existing EKS cluster: plan checks that the Pod Identity agent runs', () => {
  const stack = awsStack();
  const cluster = ExistingCluster.fromEks(stack, 'Shared', { clusterName: 'shared', acceleratorPools: [] });
  cluster.bindServiceAccount(stack, 'Api', { namespace: 'rag', serviceAccountName: 'rag-api' });
  cluster.bindServiceAccount(stack, 'Worker', { namespace: 'rag', serviceAccountName: 'rag-worker' });
  const doc = synthJson(stack);
  const checks = Object.values<any>(doc.data.kubernetes_resources).filter((d) => d.kind === 'DaemonSet');
  // Once per cluster, however many identities.
  expect(checks).toHaveLength(1);
  expect(checks[0]).toMatchObject({
    api_version: 'apps/v1',
    namespace: 'kube-system',
    field_selector: 'metadata.name=eks-pod-identity-agent',
    lifecycle: {
      postcondition: [
        {
          // EKS Auto Mode runs Pod Identity itself, without the agent's DaemonSet.
          condition:
            '${length(self.objects) > 0 || try(data.aws_eks_cluster.Shared_Cluster_Lookup_E9EC52B3.compute_config[0].enabled, false)}',
          error_message: expect.stringMatching(/install the eks-pod-identity-agent add-on\.$/),
        },
      ],
    },
  });
});

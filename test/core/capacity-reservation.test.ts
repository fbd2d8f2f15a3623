import { TerraformStack, TerraformVariable } from 'cdktf';
import {
  CapacityReservation,
  Cloud,
  EndpointAccess,
  Gpu,
  GpuInferenceCluster,
  GpuNodePool,
  MigLayout,
  PlatformLabels,
  PoolMarket,
} from '../../lib';
import { awsStack, azureStack, problemLines, resourceNamed, resources, synthJson } from '../helpers';

const reachable = { endpointAccess: EndpointAccess.publicAndPrivate(['198.51.100.7/32']) };
const RUNNER_SUBNET = '/subscriptions/0000/resourceGroups/net/providers/Microsoft.Network/virtualNetworks/runners/subnets/aks';
const GROUP = '/subscriptions/0000/resourceGroups/gpu/providers/Microsoft.Compute/capacityReservationGroups/a100';

function onAws(stack: TerraformStack, ...nodePools: GpuNodePool[]) {
  return new GpuInferenceCluster(stack, 'Gpu', { cloud: Cloud.aws(reachable), clusterName: 'ai', nodePools });
}
function onAzure(stack: TerraformStack, ...nodePools: GpuNodePool[]) {
  return new GpuInferenceCluster(stack, 'Gpu', {
    cloud: Cloud.azure({ location: 'eastus2', existingSubnetId: RUNNER_SUBNET }),
    clusterName: 'ai-az',
    nodePools,
  });
}

describe('reserved capacity on EKS managed node groups', () => {
  const stack = awsStack();
  const block = new TerraformVariable(stack, 'block', { type: 'string' });
  const zone = new TerraformVariable(stack, 'zone', { type: 'string' });
  onAws(
    stack,
    GpuNodePool.training('block', {
      gpu: Gpu.H100_80GB,
      maxNodes: 2,
      capacityReservation: CapacityReservation.ec2CapacityBlock(block.stringValue, {
        availabilityZone: zone.stringValue,
        instanceType: 'p5.48xlarge',
      }),
    }),
    GpuNodePool.inference('odcr', {
      gpu: Gpu.H100_80GB,
      mig: MigLayout.uniform('1g.10gb'),
      minNodes: 1,
      maxNodes: 2,
      capacityReservation: CapacityReservation.ec2('cr-0123456789abcdef0', { availabilityZone: 'us-east-1a' }),
    }),
    GpuNodePool.inference('group', {
      gpu: Gpu.L4,
      timeSlicing: 4,
      maxNodes: 2,
      capacityReservation: CapacityReservation.ec2ResourceGroup('arn:aws:resource-groups:us-east-1:123456789012:group/gpus'),
    }),
    GpuNodePool.inference('open', { gpu: Gpu.L4, maxNodes: 2, capacityReservation: CapacityReservation.ec2Open() }),
    GpuNodePool.inference('plain', { gpu: Gpu.L4, maxNodes: 2 }),
  );
  const doc = synthJson(stack);
  const group = (name: string) => resourceNamed(doc, 'aws_eks_node_group', `Pool-${name}_`);
  const template = (name: string) => resourceNamed(doc, 'aws_launch_template', `Pool-${name}_LaunchTemplate`);

  test('a Capacity Block: market type and the one instance type in the launch template, CAPACITY_BLOCK on the group', () => {
    expect(template('block').instance_market_options).toEqual({ market_type: 'capacity-block' });
    expect(template('block').instance_type).toBe('p5.48xlarge');
    expect(template('block').capacity_reservation_specification).toEqual({
      capacity_reservation_target: { capacity_reservation_id: '${var.block}' },
    });
    expect(group('block').capacity_type).toBe('CAPACITY_BLOCK');
    expect(group('block').instance_types).toBeUndefined();
    expect(group('block').scaling_config).toEqual({ min_size: 0, max_size: 2, desired_size: 0 });
  });

  test("a targeted reservation keeps the group On-Demand, on the reservation zone's subnets", () => {
    expect(template('odcr').capacity_reservation_specification).toEqual({
      capacity_reservation_target: { capacity_reservation_id: 'cr-0123456789abcdef0' },
    });
    expect(template('odcr').instance_market_options).toBeUndefined();
    expect(group('odcr').capacity_type).toBe('ON_DEMAND');
    expect(group('odcr').instance_types).toEqual(['p5.4xlarge']);
    const subnets = resourceNamed({ resource: doc.data }, 'aws_subnets', 'Pool-odcr-Subnets');
    expect(subnets.filter).toContainEqual({ name: 'availability-zone', values: ['us-east-1a'] });
    expect(group('odcr').subnet_ids).toMatch(/^\$\{data\.aws_subnets\..*Pool-odcr-Subnets.*\.ids\}$/);
  });

  test('a resource group by ARN, open preference; a pool without a reservation has no block', () => {
    expect(template('group').capacity_reservation_specification).toEqual({
      capacity_reservation_target: { capacity_reservation_resource_group_arn: 'arn:aws:resource-groups:us-east-1:123456789012:group/gpus' },
    });
    expect(template('open').capacity_reservation_specification).toEqual({ capacity_reservation_preference: 'open' });
    expect(template('plain').capacity_reservation_specification).toBeUndefined();
    expect(Array.isArray(group('plain').subnet_ids)).toBe(true);
  });

  test("guaranteed reservations label their nodes 'reserved'; open ones and resource groups (they overflow to On-Demand) 'on-demand'", () => {
    expect(group('block').labels[PlatformLabels.CAPACITY]).toBe('reserved');
    expect(group('odcr').labels[PlatformLabels.CAPACITY]).toBe('reserved');
    expect(group('group').labels[PlatformLabels.CAPACITY]).toBe('on-demand');
    expect(group('open').labels[PlatformLabels.CAPACITY]).toBe('on-demand');
  });

  test('only a reservation by id, a Capacity Block and an Azure group are guaranteed; the market follows', () => {
    const g = (r: CapacityReservation) => r.guaranteed;
    expect(g(CapacityReservation.ec2('cr-0123456789abcdef0'))).toBe(true);
    expect(g(CapacityReservation.ec2CapacityBlock('cr-0123456789abcdef0'))).toBe(true);
    expect(
      g(CapacityReservation.azureGroup('/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/capacityReservationGroups/g')),
    ).toBe(true);
    expect(g(CapacityReservation.ec2ResourceGroup('arn:aws:resource-groups:us-east-1:123456789012:group/gpus'))).toBe(false);
    expect(g(CapacityReservation.ec2Open())).toBe(false);
    const pool = (r: CapacityReservation) => GpuNodePool.inference('p', { gpu: Gpu.L4, maxNodes: 1, capacityReservation: r }).market;
    expect(pool(CapacityReservation.ec2('cr-0123456789abcdef0'))).toBe(PoolMarket.RESERVED);
    expect(pool(CapacityReservation.ec2ResourceGroup('arn:aws:resource-groups:us-east-1:123456789012:group/gpus'))).toBe(
      PoolMarket.ON_DEMAND,
    );
  });

  test('MIG and time-slicing keep their labels on reserved pools', () => {
    expect(group('odcr').labels[PlatformLabels.MIG_CONFIG]).toBeDefined();
    expect(group('group').labels[PlatformLabels.DEVICE_PLUGIN_CONFIG]).toBe('time-slicing-4');
  });
});

describe('self-healing GPU nodes on EKS', () => {
  test('the pinned node monitoring agent tolerates the GPU taint; accelerator groups repair, the system group does not', () => {
    const doc = synthJson(
      (() => {
        const s = awsStack();
        onAws(s, GpuNodePool.inference('llm', { gpu: Gpu.L4, maxNodes: 1 }));
        return s;
      })(),
    );
    const agent = resourceNamed(doc, 'aws_eks_addon', 'eks-node-monitoring-agent');
    expect(agent.addon_version).toMatch(/^v\d+\.\d+\.\d+-eksbuild\.\d+$/);
    const config = JSON.parse(agent.configuration_values);
    expect(config.nodeAgent.tolerations).toEqual([{ operator: 'Exists' }]);
    expect(config.dcgmAgent.tolerations).toEqual([{ operator: 'Exists' }]);
    expect(resourceNamed(doc, 'aws_eks_node_group', 'Pool-llm_').node_repair_config).toEqual({ enabled: true });
    expect(resourceNamed(doc, 'aws_eks_node_group', 'SystemNodes').node_repair_config).toBeUndefined();
  });

  test('nodeAutoRepair false leaves both out', () => {
    const s = awsStack();
    new GpuInferenceCluster(s, 'Gpu', {
      cloud: Cloud.aws({ ...reachable, nodeAutoRepair: false }),
      clusterName: 'ai',
      nodePools: [GpuNodePool.inference('llm', { gpu: Gpu.L4, maxNodes: 1 })],
    });
    const doc = synthJson(s);
    expect(Object.keys(resources(doc, 'aws_eks_addon')).some((n) => n.includes('monitoring'))).toBe(false);
    expect(resourceNamed(doc, 'aws_eks_node_group', 'Pool-llm_').node_repair_config).toBeUndefined();
  });
});

describe('reserved capacity on AKS', () => {
  const stack = azureStack();
  onAzure(
    stack,
    GpuNodePool.inference('reserved', {
      gpu: Gpu.A100_80GB,
      minNodes: 1,
      maxNodes: 2,
      capacityReservation: CapacityReservation.azureGroup(GROUP, { vmSize: 'Standard_NC48ads_A100_v4' }),
    }),
    GpuNodePool.inference('zonal', {
      gpu: Gpu.A100_80GB,
      maxNodes: 2,
      capacityReservation: CapacityReservation.azureGroup(GROUP, { vmSize: 'Standard_NC48ads_A100_v4', zones: ['1', '2'] }),
    }),
    GpuNodePool.inference('plain', { gpu: Gpu.T4, maxNodes: 1 }),
  );
  const doc = synthJson(stack);
  const pool = resourceNamed(doc, 'azurerm_kubernetes_cluster_node_pool', 'Pool-reserved');
  const nodePool = (name: string) => resourceNamed(doc, 'azurerm_kubernetes_cluster_node_pool', `Pool-${name}`);

  test('the first apply fails when AKS drops the group (ForceNew: every later plan would replace the pool)', () => {
    expect(pool.lifecycle.postcondition).toEqual([
      {
        condition: '${self.capacity_reservation_group_id != null && self.capacity_reservation_group_id != ""}',
        error_message: expect.stringMatching(
          /^AKS created node pool reserved without its capacity reservation group, and every later plan would replace it; /,
        ),
      },
    ]);
    expect(pool.lifecycle.ignore_changes).toEqual(['node_count']);
    expect(nodePool('plain').lifecycle.postcondition).toBeUndefined();
  });

  test("the group's zones go on the pool; a regional group sets none", () => {
    expect(nodePool('zonal').zones).toEqual(['1', '2']);
    expect(pool.zones).toBeUndefined();
  });

  test('the pool takes the group and its VM size, after the identity has Contributor on the group', () => {
    expect(pool.capacity_reservation_group_id).toBe(GROUP);
    expect(pool.vm_size).toBe('Standard_NC48ads_A100_v4');
    expect(pool.priority).toBe('Regular');
    const access = resourceNamed(doc, 'azurerm_role_assignment', 'Pool-reserved-ReservationAccess');
    expect(access).toMatchObject({ scope: GROUP, role_definition_name: 'Contributor', principal_type: 'ServicePrincipal' });
    expect(access.principal_id).toMatch(/ControlPlaneIdentity/);
    expect(pool.depends_on).toEqual([expect.stringMatching(/^time_sleep\..*Pool-reserved-ReservationPropagation/)]);
  });
});

describe('reserved-capacity misuse fails at synth with its message', () => {
  const awsProblems = (...p: GpuNodePool[]) => {
    const s = awsStack();
    onAws(s, ...p);
    return problemLines(s);
  };
  const azureProblems = (...p: GpuNodePool[]) => {
    const s = azureStack();
    onAzure(s, ...p);
    return problemLines(s);
  };
  const block = (o: { minNodes?: number; instanceTypes?: string[]; spot?: boolean } = {}) =>
    GpuNodePool.training('cb', {
      gpu: Gpu.H100_80GB,
      maxNodes: 2,
      ...o,
      capacityReservation: CapacityReservation.ec2CapacityBlock('cr-0123456789abcdef0', { availabilityZone: 'us-east-1a' }),
    });

  test('spot with a reservation', () => {
    expect(awsProblems(block({ spot: true }))).toEqual([
      expect.stringMatching(
        /^test\/Gpu: nodePools\[cb\]\.spot true cannot run on capacityReservation ec2-capacity-block: .*; set spot: false/,
      ),
    ]);
  });

  test('a Capacity Block with a floor above zero', () => {
    expect(awsProblems(block({ minNodes: 1 }))).toEqual([
      expect.stringMatching(/^test\/Gpu: nodePools\[cb\]\.minNodes 1 on a Capacity Block .*EKS needs desired size 0.*; use minNodes: 0/),
    ]);
  });

  test('a Capacity Block without an instance type from the pool or the block', () => {
    expect(awsProblems(block())).toEqual([
      expect.stringMatching(
        /^test\/Gpu: nodePools\[cb\]\.capacityReservation\.instanceType undefined leaves the Capacity Block's node group without the block's instance type .*; pass CapacityReservation\.ec2CapacityBlock\(id, \{ instanceType: 'p5\.48xlarge' \}\)/,
      ),
    ]);
    expect(awsProblems(block({ instanceTypes: ['p5.48xlarge'] }))).toEqual([]);
  });

  test('a Capacity Block node group warns that launch template changes need it at 0 nodes', () => {
    const s = awsStack();
    const c = onAws(s, block({ instanceTypes: ['p5.48xlarge'] }), GpuNodePool.inference('plain', { gpu: Gpu.L4, maxNodes: 1 }));
    synthJson(s);
    const warnings = (name: string) =>
      c.node
        .findAll()
        .filter((n) => n.node.path.endsWith(`/Pool-${name}`))
        .flatMap((n) => n.node.metadata.filter((m) => m.type === '@cdktf/warn').map((m) => String(m.data)));
    expect(warnings('cb')).toEqual([
      expect.stringMatching(/^capacityReservation ec2-capacity-block: changes to the launch template need the group at 0 nodes; /),
    ]);
    expect(warnings('plain')).toEqual([]);
  });

  test('several instance types on a reservation that holds one', () => {
    expect(awsProblems(block({ instanceTypes: ['p5.48xlarge', 'p5e.48xlarge'] }))).toContainEqual(
      expect.stringMatching(
        /nodePools\[cb\]\.instanceTypes \["p5\.48xlarge","p5e\.48xlarge"\] name several types, .*; name only the reserved type/,
      ),
    );
  });

  test('a pool type that is not the reserved one', () => {
    const pool = GpuNodePool.inference('llm', {
      gpu: Gpu.A100_80GB,
      instanceType: 'p4d.24xlarge',
      maxNodes: 1,
      capacityReservation: CapacityReservation.ec2('cr-0123456789abcdef0', {
        availabilityZone: 'us-east-1a',
        instanceType: 'p4de.24xlarge',
      }),
    });
    expect(awsProblems(pool)).toEqual([
      expect.stringMatching(/nodePools\[llm\]\.instanceType 'p4d\.24xlarge' is not the reserved 'p4de\.24xlarge' .*; use 'p4de\.24xlarge'/),
    ]);
  });

  test('a reservation id, group ARN or zone that is not one; tokens pass', () => {
    const lines = awsProblems(
      GpuNodePool.inference('a', {
        gpu: Gpu.L4,
        maxNodes: 1,
        capacityReservation: CapacityReservation.ec2('r-123', { availabilityZone: 'useast1' }),
      }),
      GpuNodePool.inference('b', { gpu: Gpu.L4, maxNodes: 1, capacityReservation: CapacityReservation.ec2ResourceGroup('my-group') }),
    );
    expect(lines).toEqual([
      expect.stringMatching(/nodePools\[a\]\.capacityReservation 'r-123' is not an EC2 capacity reservation id; pass cr-/),
      expect.stringMatching(/nodePools\[a\]\.capacityReservation\.availabilityZone 'useast1' is not an availability zone name/),
      expect.stringMatching(/nodePools\[b\]\.capacityReservation 'my-group' is not a resource group ARN; pass arn:aws:resource-groups:/),
    ]);
  });

  test('a targeted reservation without its zone', () => {
    expect(
      awsProblems(
        GpuNodePool.inference('llm', { gpu: Gpu.L4, maxNodes: 1, capacityReservation: CapacityReservation.ec2('cr-0123456789abcdef0') }),
      ),
    ).toEqual([expect.stringMatching(/nodePools\[llm\]\.capacityReservation\.availabilityZone undefined .*; set the reservation's zone/)]);
  });

  test("a reservation of the other cloud's pool", () => {
    expect(
      awsProblems(GpuNodePool.inference('llm', { gpu: Gpu.L4, maxNodes: 1, capacityReservation: CapacityReservation.azureGroup(GROUP) })),
    ).toEqual([
      expect.stringMatching(
        /nodePools\[llm\]\.capacityReservation azure-group is an azure reservation on an AWS cluster; use CapacityReservation\.ec2/,
      ),
    ]);
    expect(
      azureProblems(GpuNodePool.inference('llm', { gpu: Gpu.T4, maxNodes: 1, capacityReservation: CapacityReservation.ec2Open() })),
    ).toEqual([
      expect.stringMatching(
        /nodePools\[llm\]\.capacityReservation ec2-open is an aws reservation on an Azure cluster; use CapacityReservation\.azureGroup/,
      ),
    ]);
  });

  test('an Azure group id that is not one, and a reserved VM size without the GPU', () => {
    const lines = azureProblems(
      GpuNodePool.inference('a', { gpu: Gpu.T4, maxNodes: 1, capacityReservation: CapacityReservation.azureGroup('crg-a100') }),
      GpuNodePool.inference('b', {
        gpu: Gpu.A100_80GB,
        maxNodes: 1,
        capacityReservation: CapacityReservation.azureGroup(GROUP, { vmSize: 'Standard_NC4as_T4_v3' }),
      }),
    );
    expect(lines).toEqual([
      expect.stringMatching(
        /nodePools\[a\]\.capacityReservation 'crg-a100' is not a capacity reservation group id; pass \/subscriptions\//,
      ),
      expect.stringMatching(/nodePools\[b\]\.instanceType 'Standard_NC4as_T4_v3' does not carry A100_80GB/),
    ]);
  });

  test('the group id is checked case-sensitively, like the provider; zones are Azure zone numbers', () => {
    const lower = GROUP.replace('resourceGroups', 'resourcegroups');
    expect(
      azureProblems(
        GpuNodePool.inference('a', { gpu: Gpu.T4, maxNodes: 1, capacityReservation: CapacityReservation.azureGroup(lower) }),
        GpuNodePool.inference('z', {
          gpu: Gpu.T4,
          maxNodes: 1,
          capacityReservation: CapacityReservation.azureGroup(GROUP, { zones: ['1', 'eastus2-1'] }),
        }),
      ),
    ).toEqual([
      expect.stringMatching(
        /nodePools\[a\]\.capacityReservation '\/subscriptions\/0000\/resourcegroups\/.*' \(97 characters\) is not a capacity reservation group id; /,
      ),
      expect.stringMatching(
        /nodePools\[z\]\.capacityReservation\.zones 'eastus2-1' is not an Azure availability zone; use the group's zones/,
      ),
    ]);
  });
});

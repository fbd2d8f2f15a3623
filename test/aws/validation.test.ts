import { TerraformStack } from 'cdktf';
import {
  Cloud,
  EndpointAccess,
  Gpu,
  GpuInferenceCluster,
  GpuNodePool,
  GpuInferenceClusterProps,
  MigLayout,
  TODAY_CONTEXT_KEY,
} from '../../lib';
import { awsStack, problemLines, synthJson } from '../helpers';

/** An API Terraform can reach while it creates the VPC (the private default cannot be, see test/deploy). */
const reachable = { endpointAccess: EndpointAccess.publicAndPrivate(['198.51.100.7/32']) };

function stackWith(overrides: Partial<GpuInferenceClusterProps>): TerraformStack {
  const stack = awsStack();
  new GpuInferenceCluster(stack, 'Gpu', {
    cloud: Cloud.aws(reachable),
    clusterName: 'ai',
    nodePools: [GpuNodePool.inference('llm', { gpu: Gpu.H100_80GB, maxNodes: 1 })],
    ...overrides,
  });
  return stack;
}

/**
 * Builds the cluster (constructors must not throw on bad input) and returns the synth, which reports the
 * problems, to run under expect.
 */
function build(overrides: Partial<GpuInferenceClusterProps>): () => void {
  const stack = stackWith(overrides);
  return () => synthJson(stack);
}
const pools = (...p: GpuNodePool[]) => ({ nodePools: p });

describe('synth-time validation names the construct path, the prop, the value and the fix', () => {
  test('a MIG profile the GPU does not offer', () => {
    expect(build(pools(GpuNodePool.inference('llm', { gpu: Gpu.H100_80GB, mig: MigLayout.uniform('2g.10gb'), maxNodes: 1 })))).toThrow(
      /^test\/Gpu: nodePools\[llm\]\.mig .*2g\.10gb.*1g\.10gb/m,
    );
  });

  test('MIG on a GPU without MIG', () => {
    expect(build(pools(GpuNodePool.inference('small', { gpu: Gpu.L4, mig: MigLayout.uniform('1g.10gb'), maxNodes: 1 })))).toThrow(
      /^test\/Gpu: nodePools\[small\]\.mig .*L4.*MIG/m,
    );
  });

  test('a mixed layout that does not fit one GPU', () => {
    expect(
      build(
        pools(
          GpuNodePool.inference('m', {
            gpu: Gpu.A100_80GB,
            mig: MigLayout.mixed([
              { profile: '4g.40gb', count: 1 },
              { profile: '3g.40gb', count: 1 },
              { profile: '1g.10gb', count: 1 },
            ]),
            maxNodes: 1,
          }),
        ),
      ),
    ).toThrow(/^test\/Gpu: nodePools\[m\]\.mig slices .* use 8 compute slices but NVIDIA A100 80GB has 7; remove instances/m);
  });

  test('spot on an inference pool unless interruptions are accepted', () => {
    expect(build(pools(GpuNodePool.inference('llm', { gpu: Gpu.L4, spot: true, maxNodes: 1 })))).toThrow(
      /^test\/Gpu: nodePools\[llm\]\.spot true on an inference pool .*; set allowSpotInterruptions: true/m,
    );
    expect(
      build(pools(GpuNodePool.inference('llm', { gpu: Gpu.L4, spot: true, allowSpotInterruptions: true, maxNodes: 1 }))),
    ).not.toThrow();
  });

  test('a Neuron accelerator on a GPU pool', () => {
    expect(build(pools(GpuNodePool.inference('inf', { gpu: Gpu.INFERENTIA2, maxNodes: 1 })))).toThrow(
      /^test\/Gpu: nodePools\[inf\]\.gpu INFERENTIA2 is an AWS Neuron accelerator, not a GPU; use GpuNodePool\.neuron/m,
    );
  });

  test('a GPU instance type on a Neuron pool', () => {
    expect(build(pools(GpuNodePool.neuron('inf', { instanceType: 'p5.48xlarge', maxNodes: 1 })))).toThrow(
      /^test\/Gpu: nodePools\[inf\]\.instanceType 'p5\.48xlarge' is not an Inferentia\/Trainium instance type; use one of .*inf2\.xlarge/m,
    );
  });

  test('min greater than max', () => {
    expect(build(pools(GpuNodePool.inference('llm', { gpu: Gpu.L4, minNodes: 3, maxNodes: 2 })))).toThrow(
      /^test\/Gpu: nodePools\[llm\]\.minNodes 3 is greater than maxNodes 2; use minNodes <= maxNodes/m,
    );
  });

  test('an instance type that does not carry the GPU', () => {
    expect(build(pools(GpuNodePool.inference('llm', { gpu: Gpu.H100_80GB, instanceType: 'g5.xlarge', maxNodes: 1 })))).toThrow(
      /^test\/Gpu: nodePools\[llm\]\.instanceType 'g5\.xlarge' does not carry H100_80GB; use one of p5\.48xlarge, p5\.4xlarge/m,
    );
  });

  test('spot instance types with different GPU counts', () => {
    expect(
      build(pools(GpuNodePool.training('t', { gpu: Gpu.L4, spot: true, instanceTypes: ['g6.xlarge', 'g6.12xlarge'], maxNodes: 1 }))),
    ).toThrow(/^test\/Gpu: nodePools\[t\]\.instanceTypes .* mix 1 and 4 accelerators per node/m);
  });

  test('a GPU AWS does not offer', () => {
    expect(build(pools(GpuNodePool.inference('nvl', { gpu: Gpu.H100_NVL_94GB, maxNodes: 1 })))).toThrow(
      /^test\/Gpu: nodePools\[nvl\]\.gpu H100_NVL_94GB has no AWS instance type; AWS offers .*H100_80GB/m,
    );
  });

  test('MIG and time-slicing together', () => {
    expect(
      build(pools(GpuNodePool.inference('x', { gpu: Gpu.A100_80GB, mig: MigLayout.uniform('1g.10gb'), timeSlicing: 2, maxNodes: 1 }))),
    ).toThrow(/^test\/Gpu: nodePools\[x\]\.timeSlicing 2 cannot be combined with mig/m);
  });

  test('time-slicing out of range', () => {
    expect(build(pools(GpuNodePool.inference('x', { gpu: Gpu.L4, timeSlicing: 1, maxNodes: 1 })))).toThrow(
      /^test\/Gpu: nodePools\[x\]\.timeSlicing 1 is not a whole number from 2 to 48; use 2-48 replicas per GPU/m,
    );
  });

  test('cluster name too long or invalid', () => {
    expect(build({ clusterName: 'a'.repeat(39) })).toThrow(
      /^test\/Gpu: clusterName 'a{39}' is not a valid EKS cluster name; use 1-38 letters/m,
    );
    expect(build({ clusterName: '1-bad_name' })).toThrow(/^test\/Gpu: clusterName '1-bad_name' is not a valid EKS cluster name/m);
  });

  test('pool names: invalid, duplicate, reserved', () => {
    expect(build(pools(GpuNodePool.inference('Bad_Name', { gpu: Gpu.L4, maxNodes: 1 })))).toThrow(
      /nodePools\[Bad_Name\]\.name 'Bad_Name' is not a short DNS label/,
    );
    expect(
      build(pools(GpuNodePool.inference('a', { gpu: Gpu.L4, maxNodes: 1 }), GpuNodePool.inference('a', { gpu: Gpu.T4, maxNodes: 1 }))),
    ).toThrow(/nodePools\[a\]\.name 'a' is used twice/);
    expect(build(pools(GpuNodePool.inference('system', { gpu: Gpu.L4, maxNodes: 1 })))).toThrow(/'system' is reserved for the add-on pool/);
    expect(build(pools())).toThrow(/^test\/Gpu: nodePools \[\] is empty/m);
  });

  test('an API endpoint open to the internet', () => {
    expect(build({ cloud: Cloud.aws({ endpointAccess: EndpointAccess.publicAndPrivate(['0.0.0.0/0']) }) })).toThrow(
      /^test\/Gpu: endpointAccess '0\.0\.0\.0\/0' opens the API server to the whole internet/m,
    );
    expect(build({ cloud: Cloud.aws({ endpointAccess: EndpointAccess.publicAndPrivate([]) }) })).toThrow(
      /^test\/Gpu: endpointAccess \[\] opens the public endpoint without an allow-list/m,
    );
    expect(build({ cloud: Cloud.aws({ endpointAccess: EndpointAccess.publicAndPrivate(['10.0.0.300/8']) }) })).toThrow(
      /endpointAccess '10\.0\.0\.300\/8' is not an IPv4 CIDR/,
    );
  });

  test('network options out of range', () => {
    expect(build({ cloud: Cloud.aws({ ...reachable, availabilityZoneCount: 1 }) })).toThrow(
      /^test\/Gpu: availabilityZoneCount 1 is out of range/m,
    );
    expect(build({ cloud: Cloud.aws({ ...reachable, vpcCidr: '10.0.0.0/24' }) })).toThrow(
      /^test\/Gpu: vpcCidr '10\.0\.0\.0\/24' is not an IPv4 CIDR of size \/16-\/20/m,
    );
    expect(build({ cloud: Cloud.aws({ existingVpc: { privateSubnetIds: ['subnet-1'] } }) })).toThrow(
      /^test\/Gpu: existingVpc\.privateSubnetIds \["subnet-1"\] has fewer than 2 subnets/m,
    );
    expect(build({ cloud: Cloud.aws({ ...reachable, controlPlaneLogRetentionDays: 10 }) })).toThrow(
      /^test\/Gpu: controlPlaneLogRetentionDays 10 is not a CloudWatch retention/m,
    );
  });

  test('all problems of one cluster are reported together', () => {
    const stack = stackWith(
      pools(
        GpuNodePool.inference('a', { gpu: Gpu.L4, minNodes: 2, maxNodes: 1 }),
        GpuNodePool.inference('b', { gpu: Gpu.L4, mig: MigLayout.uniform('1g.10gb'), maxNodes: 1 }),
      ),
    );
    expect(() => synthJson(stack)).toThrow(
      /^2 problems in the cdktf-ai-platform constructs; fix them all, then synthesize again:\ntest\/Gpu: nodePools\[a\]\.minNodes[^\n]*\ntest\/Gpu: nodePools\[b\]\.mig[^\n]*$/,
    );
  });

  test('pool problems and cloud-level problems come in the same error, each once', () => {
    const stack = stackWith({
      clusterName: '1-bad_name',
      cloud: Cloud.aws({ endpointAccess: EndpointAccess.publicAndPrivate(['0.0.0.0/0']) }),
      ...pools(GpuNodePool.inference('llm', { gpu: Gpu.L4, minNodes: 3, maxNodes: 2 })),
    });
    const lines = problemLines(stack);
    expect(lines).toHaveLength(3);
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^test\/Gpu: nodePools\[llm\]\.minNodes 3 is greater than maxNodes 2/),
        expect.stringMatching(/^test\/Gpu: clusterName '1-bad_name' is not a valid EKS cluster name/),
        expect.stringMatching(/^test\/Gpu: endpointAccess '0\.0\.0\.0\/0' opens the API server to the whole internet/),
      ]),
    );
  });
});

test('more pools than the EKS managed node group quota is a warning, not an error', () => {
  // Today pinned well inside the default version's support window, so no support warning joins in.
  const stack = awsStack('test', { [TODAY_CONTEXT_KEY]: '2026-06-01' });
  const c = new GpuInferenceCluster(stack, 'Gpu', {
    cloud: Cloud.aws(reachable),
    clusterName: 'big',
    nodePools: Array.from({ length: 30 }, (_, i) => GpuNodePool.inference(`p${i}`, { gpu: Gpu.T4, maxNodes: 1 })),
  });
  const warnings = c.node.metadata.filter((m) => m.type === '@cdktf/warn').map((m) => String(m.data));
  expect(warnings).toEqual([
    expect.stringMatching(/^nodePools 30 \(\+1 system\) exceed EKS's default quota of 30 managed node groups per cluster/),
  ]);
  expect(problemLines(stack)).toEqual([]);
});

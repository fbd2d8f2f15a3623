import { App, TerraformStack, TerraformVariable, Testing } from 'cdktf';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { AwsGpuClusterStack } from '../../examples/aws-gpu-cluster/stack';
import { ExistingClusterStack } from '../../examples/existing-cluster/stack';
import { FeatureStoreAwsStack } from '../../examples/feature-store/stack';
import { MinimalStack } from '../../examples/minimal/stack';
import { MultiCloudAwsStack } from '../../examples/multi-cloud/stack';
import { MultiTenantAwsStack } from '../../examples/multi-tenant/stack';
import { PrivateClusterStacks } from '../../examples/private-cluster/stack';
import { RagAwsStack } from '../../examples/rag-aws/stack';
import { AwsCloudOptions, Cloud, EksNodeGroupPool, EndpointAccess, Gpu, GpuInferenceCluster, GpuNodePool } from '../../lib';
import { awsStack, problemLines, resources, synthJson } from '../helpers';

/** Every stack of the AWS examples (data stacks included), by stack name, from one whole-app synth. */
function awsExampleStacks(): { [stack: string]: any } {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'aws-hardening-'));
  const app = new App({ outdir });
  new AwsGpuClusterStack(app, 'aws-gpu-cluster');
  new MinimalStack(app, 'minimal');
  new MultiCloudAwsStack(app, 'multi-cloud-aws');
  new ExistingClusterStack(app, 'existing-cluster');
  new RagAwsStack(app, 'rag-aws');
  new FeatureStoreAwsStack(app, 'feature-store-aws');
  new MultiTenantAwsStack(app, 'multi-tenant-aws');
  new PrivateClusterStacks(app, 'private-cluster');
  app.synth();
  const out: { [stack: string]: any } = {};
  for (const s of fs.readdirSync(path.join(outdir, 'stacks')).sort())
    out[s] = JSON.parse(fs.readFileSync(path.join(outdir, 'stacks', s, 'cdk.tf.json'), 'utf8'));
  fs.rmSync(outdir, { recursive: true, force: true });
  return out;
}

/** The name of the resource (or data source) of `type` a `${type.name.attr}` reference points to. */
function target(ref: unknown, type: string, attr: string): string {
  const m = new RegExp(`^\\$\\{${type.replace(/\./g, '\\.')}\\.([\\w-]+)\\.${attr}\\}$`).exec(String(ref));
  if (!m) throw new Error(`${String(ref)} is not a reference to ${type}.*.${attr}`);
  return m[1];
}

const policyDoc = (doc: any, ref: unknown) => doc.data.aws_iam_policy_document[target(ref, 'data.aws_iam_policy_document', 'json')];
const conditionKeys = (st: any) => (st.condition ?? []).map((c: any) => c.variable).sort();

/** The flow log of `vpc` in `doc` and what it writes to, each resolved and checked for shape. */
function flowLogOf(doc: any, vpc: string) {
  const logs = Object.values<any>(resources(doc, 'aws_flow_log')).filter((f) => f.vpc_id === `\${aws_vpc.${vpc}.id}`);
  expect(logs).toHaveLength(1);
  const flow = logs[0];
  const group = resources(doc, 'aws_cloudwatch_log_group')[target(flow.log_destination, 'aws_cloudwatch_log_group', 'arn')];
  const key = resources(doc, 'aws_kms_key')[target(group.kms_key_id, 'aws_kms_key', 'arn')];
  const roleName = target(flow.iam_role_arn, 'aws_iam_role', 'arn');
  const role = resources(doc, 'aws_iam_role')[roleName];
  const rolePolicies = Object.values<any>(resources(doc, 'aws_iam_role_policy')).filter(
    (p) => p.role === `\${aws_iam_role.${roleName}.id}`,
  );
  return { flow, group, key, role, rolePolicies };
}

describe('AWS examples: hardened by default', () => {
  const stacks = awsExampleStacks();

  test('every launch template keeps IMDS one hop away (IMDSv2 required, hop limit 1), system groups included', () => {
    let count = 0;
    for (const [name, doc] of Object.entries(stacks)) {
      const lts = Object.entries<any>(resources(doc, 'aws_launch_template'));
      for (const [lt, r] of lts) {
        count++;
        expect({ stack: name, lt, ...r.metadata_options }).toEqual({
          stack: name,
          lt,
          http_endpoint: 'enabled',
          http_tokens: 'required',
          http_put_response_hop_limit: 1,
          instance_metadata_tags: 'disabled',
        });
      }
      if (lts.length) expect(lts.some(([, r]) => /^system-/.test(r.name_prefix))).toBe(true);
    }
    expect(count).toBeGreaterThanOrEqual(10);
  });

  test('every VPC has a flow log of all traffic to a KMS-encrypted group retained a year, via a confused-deputy-safe role', () => {
    let vpcs = 0;
    for (const [name, doc] of Object.entries(stacks)) {
      for (const vpc of Object.keys(resources(doc, 'aws_vpc'))) {
        vpcs++;
        const { flow, group, key, role, rolePolicies } = flowLogOf(doc, vpc);
        expect(flow).toMatchObject({ traffic_type: 'ALL', log_destination_type: 'cloud-watch-logs', max_aggregation_interval: 60 });
        expect(flow.depends_on).toEqual(expect.arrayContaining([expect.stringMatching(/^aws_iam_role_policy\./)]));
        expect(group.retention_in_days).toBeGreaterThanOrEqual(365);
        expect(key.enable_key_rotation).toBe(true);

        // The key: CloudWatch Logs of the region may use it for this group only.
        const logsUse = policyDoc(doc, key.policy).statement.filter((s: any) =>
          s.principals?.some((p: any) => p.type === 'Service' && p.identifiers.some((i: string) => /^logs\..*\.amazonaws\.com$/.test(i))),
        );
        expect(logsUse).toHaveLength(1);
        expect(logsUse[0].condition).toEqual([
          {
            test: 'ArnEquals',
            variable: 'kms:EncryptionContext:aws:logs:arn',
            values: [expect.stringMatching(new RegExp(`:log-group:${group.name}$`))],
          },
        ]);

        // The role: only the flow-logs service, only for this account's flow logs.
        const trust = policyDoc(doc, role.assume_role_policy).statement;
        expect(trust).toHaveLength(1);
        expect(trust[0].principals).toEqual([{ type: 'Service', identifiers: ['vpc-flow-logs.amazonaws.com'] }]);
        expect(conditionKeys(trust[0])).toEqual(['aws:SourceAccount', 'aws:SourceArn']);
        expect(trust[0].condition.find((c: any) => c.variable === 'aws:SourceArn').values[0]).toMatch(/:vpc-flow-log\/\*$/);

        // Least privilege: writes go to this group only; no logs:CreateLogGroup, no wildcard write.
        expect(rolePolicies).toHaveLength(1);
        const groupArn = `\${aws_cloudwatch_log_group.${target(flow.log_destination, 'aws_cloudwatch_log_group', 'arn')}.arn}`;
        for (const st of policyDoc(doc, rolePolicies[0].policy).statement) {
          expect(st.actions).not.toContain('logs:CreateLogGroup');
          if (st.actions.some((a: string) => /Put|Create/.test(a))) for (const r of st.resources) expect(r.startsWith(groupArn)).toBe(true);
          else expect(st.actions).toEqual(['logs:DescribeLogGroups']);
        }

        // Retained like the control-plane logs: prevent_destroy in a data stack, skip_destroy beside compute.
        if (name.endsWith('-data')) {
          expect(group.lifecycle).toEqual({ prevent_destroy: true });
          expect(key.lifecycle).toEqual({ prevent_destroy: true });
        } else {
          expect(group.skip_destroy).toBe(true);
          expect(group.lifecycle).toBeUndefined();
          expect(Object.keys(resources(doc, 'aws_launch_template')).length).toBeGreaterThan(0);
        }
      }
    }
    expect(vpcs).toBeGreaterThanOrEqual(5);
  });
});

function cluster(cloud: AwsCloudOptions): TerraformStack {
  const stack = awsStack();
  new GpuInferenceCluster(stack, 'Gpu', {
    cloud: Cloud.aws({ endpointAccess: EndpointAccess.publicAndPrivate(['198.51.100.7/32']), ...cloud }),
    clusterName: 'ai',
    nodePools: [GpuNodePool.inference('llm', { gpu: Gpu.L4, maxNodes: 1 })],
  });
  return stack;
}

describe('VPC flow log options', () => {
  test('on by default: one flow log to /aws/vpc-flow-logs/<cluster>, 365 days, skipped on destroy', () => {
    const doc = synthJson(cluster({}));
    const { group, role } = flowLogOf(doc, Object.keys(resources(doc, 'aws_vpc'))[0]);
    expect(group).toMatchObject({ name: '/aws/vpc-flow-logs/ai', retention_in_days: 365, skip_destroy: true });
    expect(role.name).toBe('ai-vpc-flow-logs');
  });

  test('vpcFlowLogs false leaves no flow log, group, key or role behind', () => {
    const doc = synthJson(cluster({ vpcFlowLogs: false }));
    expect(Object.keys(resources(doc, 'aws_vpc'))).toHaveLength(1);
    expect(resources(doc, 'aws_flow_log')).toEqual({});
    expect(Object.values<any>(resources(doc, 'aws_cloudwatch_log_group')).map((g) => g.name)).toEqual(['/aws/eks/ai/cluster']);
    expect(Object.values<any>(resources(doc, 'aws_iam_role')).map((r) => r.name)).not.toContain('ai-vpc-flow-logs');
    expect(Object.keys(resources(doc, 'aws_kms_key')).some((k) => k.includes('FlowLogs'))).toBe(false);
  });

  test("an existing VPC is its owner's to log", () => {
    const doc = synthJson(cluster({ existingVpc: { privateSubnetIds: ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1'] } }));
    expect(resources(doc, 'aws_flow_log')).toEqual({});
  });

  test('retention and retainLogsOnDestroy false reach the flow log group', () => {
    const doc = synthJson(cluster({ vpcFlowLogRetentionDays: 731, retainLogsOnDestroy: false }));
    const { group, key } = flowLogOf(doc, Object.keys(resources(doc, 'aws_vpc'))[0]);
    expect(group.retention_in_days).toBe(731);
    expect(group.skip_destroy).toBeUndefined();
    expect(group.lifecycle).toBeUndefined();
    expect(key.lifecycle).toBeUndefined();
  });

  test('with a data stack the flow logs live there with the VPC, under prevent_destroy', () => {
    const app = Testing.app();
    const data = awsStack('data', undefined, app);
    const stack = awsStack('compute', undefined, app);
    new GpuInferenceCluster(stack, 'Gpu', {
      cloud: Cloud.aws({ endpointAccess: EndpointAccess.publicAndPrivate(['198.51.100.7/32']) }),
      clusterName: 'ai',
      nodePools: [GpuNodePool.inference('llm', { gpu: Gpu.L4, maxNodes: 1 })],
      dataStack: data,
    });
    const compute = synthJson(stack);
    const dataDoc = synthJson(data);
    expect(resources(compute, 'aws_flow_log')).toEqual({});
    const { group, key } = flowLogOf(dataDoc, Object.keys(resources(dataDoc, 'aws_vpc'))[0]);
    expect(group.lifecycle).toEqual({ prevent_destroy: true });
    expect(group.skip_destroy).toBeUndefined();
    expect(key.lifecycle).toEqual({ prevent_destroy: true });
  });

  test('a retention CloudWatch does not offer is reported with the allowed values', () => {
    expect(problemLines(cluster({ vpcFlowLogRetentionDays: 42 }))).toEqual([
      expect.stringMatching(/^test\/Gpu: vpcFlowLogRetentionDays 42 is not a CloudWatch retention; use one of 1, 3, 5, .*, 365, .*3653$/),
    ]);
  });

  test('a retention from a variable is left to Terraform', () => {
    const stack = awsStack();
    const days = new TerraformVariable(stack, 'days', { type: 'number' });
    new GpuInferenceCluster(stack, 'Gpu', {
      cloud: Cloud.aws({ endpointAccess: EndpointAccess.publicAndPrivate(['198.51.100.7/32']), vpcFlowLogRetentionDays: days.numberValue }),
      clusterName: 'ai',
      nodePools: [GpuNodePool.inference('llm', { gpu: Gpu.L4, maxNodes: 1 })],
    });
    expect(problemLines(stack)).toEqual([]);
  });
});

describe('EksNodeGroupPool metadataHopLimit', () => {
  const group = (metadataHopLimit?: number) => {
    const stack = awsStack();
    new EksNodeGroupPool(stack, 'Pool', {
      clusterName: 'ai',
      nodeGroupName: 'extra',
      nodeRoleArn: 'arn:aws:iam::123456789012:role/node',
      subnetIds: ['subnet-0123456789abcdef0'],
      instanceTypes: ['m6i.large'],
      amiType: 'AL2023_x86_64_STANDARD',
      spot: false,
      minNodes: 1,
      maxNodes: 2,
      diskSizeGib: 50,
      labels: {},
      taints: [],
      extendedResources: [],
      tags: {},
      metadataHopLimit,
      dependsOn: [],
    });
    return stack;
  };

  test('defaults to 1', () => {
    const lt = Object.values<any>(resources(synthJson(group()), 'aws_launch_template'))[0];
    expect(lt.metadata_options.http_put_response_hop_limit).toBe(1);
  });

  test("outside EC2's 1-64 or not whole is reported", () => {
    expect(problemLines(group(0))).toEqual([
      expect.stringMatching(
        /^test\/Pool: metadataHopLimit 0 is not a whole number in 1-64; use 1 and give pods that call AWS a Pod Identity/,
      ),
    ]);
    expect(problemLines(group(1.5))).toEqual([expect.stringMatching(/^test\/Pool: metadataHopLimit 1\.5 is not a whole number in 1-64/)]);
  });
});

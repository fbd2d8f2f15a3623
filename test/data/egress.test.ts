import { Testing } from 'cdktf';
import { Construct } from 'constructs';
import { RdsPostgresDatabase, ValkeyCache } from '../../lib/aws/data';
import { PodIdentityBinding } from '../../lib/aws/pod-identity';
import { EgressRequest, onEgressRequest, requestBindingEgress } from '../../lib/core/egress-requests';
import { PlatformNamespace, PodSecurityLevel } from '../../lib/addons/namespace';
import { dynamoDbActions } from '../../lib/aws/data/feast';
import { Cloud } from '../../lib/cloud';
import { KeyValueCache, PostgresDatabase } from '../../lib/data-services';
import { GpuNodePool } from '../../lib/core/node-pool';
import { Gpu } from '../../lib/gpu/accelerator';
import { GpuInferenceCluster } from '../../lib/gpu-inference-cluster';
import { awsStack, azureStack } from '../helpers';

const NETWORK = { networkId: 'vpc-1', privateSubnetIds: ['subnet-a', 'subnet-b'], nodeSecurityGroupId: 'sg-nodes' };

function setup() {
  const stack = awsStack();
  const cluster = new Construct(stack, 'Platform');
  const identity = new PodIdentityBinding(stack, 'Rag', {
    clusterName: 'ai',
    namespace: 'rag',
    serviceAccountName: 'rag-api',
    roleName: 'ai-rag',
    tags: {},
    dependsOn: [],
  });
  const seen: EgressRequest[] = [];
  onEgressRequest(cluster, 'rag', (r) => seen.push(r));
  return { stack, cluster, identity, seen };
}

describe('data-service egress, asked by the cloud implementations', () => {
  test('a grant asks the cluster that bound the identity for the port, from the identity namespace', () => {
    const { stack, cluster, identity, seen } = setup();
    requestBindingEgress(cluster, 'rag', identity);
    const db = new RdsPostgresDatabase(stack, 'Db', { clusterName: 'ai', network: NETWORK, tags: {} });
    const cache = new ValkeyCache(stack, 'Cache', { clusterName: 'ai', network: NETWORK, tags: {} });
    db.grantConnect(identity, 'rag');
    db.grantAdmin(identity);
    cache.grantReadWrite(identity);
    const ranges = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'];
    expect(seen.filter((r) => r.name !== 'pod-identity-agent')).toEqual([
      { namespace: 'rag', name: 'postgres', cidrs: ranges, ports: [5432] },
      { namespace: 'rag', name: 'postgres', cidrs: ranges, ports: [5432] },
      { namespace: 'rag', name: 'cache', cidrs: ranges, ports: [6379] },
    ]);
    Testing.synth(stack);
  });

  test('an identity no platform cluster bound asks nothing', () => {
    const { stack, identity, seen } = setup();
    new RdsPostgresDatabase(stack, 'Db', { clusterName: 'ai', network: NETWORK, tags: {} }).grantConnect(identity, 'rag');
    expect(seen).toEqual([]);
  });
});

/** An AKS cluster with the library's 'team' namespace (egress denied but for what is asked). */
function platformWithNamespace() {
  const stack = azureStack();
  const cluster = new GpuInferenceCluster(stack, 'Gpu', {
    cloud: Cloud.azure({ location: 'eastus2', authorizedIpRanges: ['203.0.113.0/24'] }),
    clusterName: 'ai',
    nodePools: [GpuNodePool.inference('t4', { gpu: Gpu.T4, maxNodes: 2 })],
  });
  new PlatformNamespace(stack, 'Team', { cluster, name: 'team', podSecurity: PodSecurityLevel.RESTRICTED });
  return { stack, cluster };
}

describe('data-service egress through the public constructs', () => {
  test('an identity bound through the cloud cluster (an escape hatch) still gets its egress on the construct cluster', () => {
    const { stack, cluster } = platformWithNamespace();
    const identity = cluster.cloudCluster.bindServiceAccount(stack, 'Hatch', { namespace: 'team', serviceAccountName: 'worker' });
    new PostgresDatabase(stack, 'Db', { cluster }).grantConnect(identity, 'worker');
    new KeyValueCache(stack, 'Cache', { cluster }).grantReadWrite(identity);
    const policies = Object.values(JSON.parse(Testing.synth(stack)).resource.kubernetes_network_policy_v1 ?? {}).map(
      (p: any) => `${p.metadata.namespace}/${p.metadata.name}`,
    );
    expect(policies).toEqual(expect.arrayContaining(['team/allow-egress-postgres', 'team/allow-egress-cache']));
  });

  test('the same grant through a bound identity makes each policy once', () => {
    const { stack, cluster } = platformWithNamespace();
    const identity = cluster.bindServiceAccount(stack, 'Worker', { namespace: 'team', serviceAccountName: 'worker' });
    const db = new PostgresDatabase(stack, 'Db', { cluster });
    db.grantConnect(identity, 'worker');
    db.grantAdmin(identity);
    const names = Object.values(JSON.parse(Testing.synth(stack)).resource.kubernetes_network_policy_v1 ?? {}).map(
      (p: any) => p.metadata.name,
    );
    expect(names.filter((n) => n === 'allow-egress-postgres')).toHaveLength(1);
  });
});

describe('dynamoDbActions', () => {
  test('refuses an access level it does not know instead of granting the admin actions', () => {
    expect(dynamoDbActions('read')).toEqual(['dynamodb:GetItem', 'dynamodb:BatchGetItem']);
    expect(() => dynamoDbActions('READ')).toThrow(/access 'READ' is not one of 'read', 'materialize', 'write'/);
  });
});

import { Testing } from 'cdktf';
import { Construct } from 'constructs';
import { RdsPostgresDatabase, ValkeyCache } from '../../lib/aws/data';
import { PodIdentityBinding } from '../../lib/aws/pod-identity';
import { EgressRequest, onEgressRequest, requestBindingEgress } from '../../lib/core/egress-requests';
import { awsStack } from '../helpers';

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

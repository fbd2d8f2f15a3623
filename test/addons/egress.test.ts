import { App } from 'cdktf';
import { AwsGpuClusterStack } from '../../examples/aws-gpu-cluster/stack';
import { AzureGpuClusterStack } from '../../examples/azure-gpu-cluster/stack';
import { ExistingClusterStack } from '../../examples/existing-cluster/stack';
import { FeatureStoreAwsStack } from '../../examples/feature-store/stack';
import { MultiTenantAwsStack, MultiTenantAzureStack } from '../../examples/multi-tenant/stack';
import { RagAwsStack } from '../../examples/rag-aws/stack';
import { RagAzureStack } from '../../examples/rag-azure/stack';
import { ExistingCluster, Gpu, ObservabilityStack, PlatformNamespace, PodSecurityLevel } from '../../lib';
import { GpuSharing } from '../../lib/tenancy/kueue';
import { GpuQuota } from '../../lib/tenancy/quota';
import { Tenant } from '../../lib/tenancy/tenant';
import { eksCluster } from '../tenancy/fixtures';
import { awsStack, azureStack, problemLines, resources, synthAppMerged, synthJson } from '../helpers';

// Properties of the egress policies every namespace the library creates carries, checked on the
// synthesized examples (EKS and AKS), and the validation of the `egress` prop.

type Policy = { metadata: { name: string; namespace: string }; spec: any };

const EXAMPLES: [string, (app: App) => unknown][] = [
  ['rag-aws', (app) => new RagAwsStack(app, 'rag-aws')],
  ['rag-azure', (app) => new RagAzureStack(app, 'rag-azure')],
  ['feature-store-aws', (app) => new FeatureStoreAwsStack(app, 'feature-store-aws')],
  ['multi-tenant-aws', (app) => new MultiTenantAwsStack(app, 'multi-tenant-aws')],
  ['multi-tenant-azure', (app) => new MultiTenantAzureStack(app, 'multi-tenant-azure')],
  ['aws-gpu-cluster', (app) => new AwsGpuClusterStack(app, 'aws-gpu-cluster')],
  ['azure-gpu-cluster', (app) => new AzureGpuClusterStack(app, 'azure-gpu-cluster')],
  ['existing-cluster', (app) => new ExistingClusterStack(app, 'existing-cluster')],
];

const docs = new Map<string, any>();
function doc(name: string): any {
  if (!docs.has(name)) docs.set(name, synthAppMerged(EXAMPLES.find(([n]) => n === name)![1]).doc);
  return docs.get(name);
}

const policies = (d: any): Policy[] => Object.values(resources(d, 'kubernetes_network_policy_v1')) as Policy[];
const createdNamespaces = (d: any): string[] =>
  Object.values<any>(resources(d, 'kubernetes_namespace_v1')).map((n) => n.metadata.name as string);
const egressOf = (d: any, ns: string) =>
  policies(d).filter((p) => p.metadata.namespace === ns && (p.spec.policy_types ?? []).includes('Egress'));
const list = (v: any): any[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** IPv4 CIDR membership, written independently of the library's. */
function inV4(cidr: string, ip: string): boolean {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(cidr);
  if (!m) return false;
  const toInt = (parts: string[]) => parts.reduce((n, o) => (n << 8) + Number(o), 0) >>> 0;
  const bits = Number(m[5]);
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  return (toInt(m.slice(1, 5)) & mask) >>> 0 === (toInt(ip.split('.')) & mask) >>> 0;
}

/** True when an ipBlock peer lets `ip` through (its CIDR holds it and no `except` does). */
function admits(ipBlock: any, ip: string): boolean {
  return inV4(ipBlock.cidr, ip) && !list(ipBlock.except).some((e: string) => inV4(e, ip));
}

describe.each(EXAMPLES.map(([n]) => n))('egress policies of example %s', (name) => {
  test('every namespace the stack creates denies egress by default and allows DNS to CoreDNS', () => {
    const d = doc(name);
    const namespaces = createdNamespaces(d);
    expect(namespaces.length).toBeGreaterThan(0);
    for (const ns of namespaces) {
      const egress = egressOf(d, ns);
      const deny = egress.find((p) => p.metadata.name === 'default-deny-egress');
      expect({ ns, deny: deny?.spec }).toEqual({ ns, deny: { pod_selector: {}, policy_types: ['Egress'] } });
      const dns = egress.find((p) => p.metadata.name === 'allow-egress-dns');
      expect({ ns, egress: dns?.spec.egress }).toEqual({
        ns,
        egress: [
          {
            to: [
              {
                namespace_selector: { match_labels: { 'kubernetes.io/metadata.name': 'kube-system' } },
                pod_selector: { match_labels: { 'k8s-app': 'kube-dns' } },
              },
            ],
            ports: [
              { port: '53', protocol: 'UDP' },
              { port: '53', protocol: 'TCP' },
            ],
          },
        ],
      });
    }
  });

  test('no egress rule lets pods reach the instance metadata endpoint or the Azure wireserver', () => {
    const d = doc(name);
    for (const p of policies(d))
      for (const rule of list(p.spec.egress)) {
        const ports = list(rule.ports).map((x: any) => String(x.port));
        if (list(rule.to).length === 0) {
          // A rule without peers reaches every address: only on ports no metadata service listens on.
          expect({ policy: p.metadata.name, ports }).toEqual({
            policy: p.metadata.name,
            ports: expect.not.arrayContaining(['80', '32526']),
          });
          expect(ports.length).toBeGreaterThan(0);
        }
        for (const peer of list(rule.to))
          for (const block of list(peer.ip_block)) {
            expect({ policy: p.metadata.name, cidr: block.cidr, imds: admits(block, '169.254.169.254') }).toEqual({
              policy: p.metadata.name,
              cidr: block.cidr,
              imds: false,
            });
            expect(admits(block, '168.63.129.16')).toBe(false);
            expect(block.cidr).not.toBe('::/0');
          }
      }
  });

  test('the Pod Identity agent is allowed exactly where an EKS Pod Identity is bound to the namespace', () => {
    const d = doc(name);
    const bound = new Set(Object.values<any>(resources(d, 'aws_eks_pod_identity_association')).map((a) => a.namespace as string));
    const created = createdNamespaces(d);
    const agent = (ns: string) =>
      egressOf(d, ns).filter((p) =>
        list(p.spec.egress).some((r: any) =>
          list(r.to).some((t: any) => list(t.ip_block).some((b: any) => b.cidr === '169.254.170.23/32')),
        ),
      );
    for (const ns of created) {
      const allows = agent(ns);
      if (bound.has(ns)) {
        expect({ ns, names: allows.map((p) => p.metadata.name) }).toEqual({ ns, names: ['allow-egress-pod-identity-agent'] });
        expect(allows[0].spec.egress).toEqual([
          {
            to: [{ ip_block: { cidr: '169.254.170.23/32' } }, { ip_block: { cidr: 'fd00:ec2::23/128' } }],
            ports: [{ port: '80', protocol: 'TCP' }],
          },
        ]);
      } else expect({ ns, allows }).toEqual({ ns, allows: [] });
    }
    if (name.endsWith('azure')) expect(bound.size).toBe(0);
  });
});

describe('what each namespace is allowed', () => {
  const names = (d: any, ns: string) => egressOf(d, ns).map((p) => p.metadata.name);

  test('HTTPS (443) to any address but link-local and the wireserver, in every namespace (API server, model store, cloud APIs)', () => {
    const d = doc('rag-aws');
    for (const ns of createdNamespaces(d)) {
      const https = egressOf(d, ns).find((p) => p.metadata.name === 'allow-egress-https');
      expect(https?.spec.egress).toEqual([
        {
          to: [{ ip_block: { cidr: '0.0.0.0/0', except: ['169.254.0.0/16', '168.63.129.16/32'] } }],
          ports: [{ port: '443', protocol: 'TCP' }],
        },
      ]);
    }
  });

  test('platform namespaces reach each other only where their workloads call one (KEDA -> Prometheus, apps -> RAG)', () => {
    const d = doc('rag-aws');
    expect(names(d, 'keda')).toContain('allow-egress-platform');
    expect(names(d, 'chat')).toContain('allow-egress-platform');
    for (const ns of ['rag', 'monitoring', 'gpu-operator']) expect(names(d, ns)).not.toContain('allow-egress-platform');
    expect(names(doc('multi-tenant-aws'), 'kueue-system')).not.toContain('allow-egress-platform');
    // Tenants call platform endpoints that admit them (the RAG router): allowed, the platform's ingress decides.
    expect(names(doc('multi-tenant-aws'), 'research')).toContain('allow-egress-platform');
  });

  test('managed data services: the RAG namespace and granted app namespaces reach PostgreSQL at private addresses', () => {
    const d = doc('rag-aws');
    for (const ns of ['rag', 'chat']) {
      const store = egressOf(d, ns).find((p) => p.metadata.name === 'allow-egress-vector-store');
      expect(store?.spec.egress).toEqual([
        {
          to: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'].map((cidr) => ({ ip_block: { cidr } })),
          ports: [{ port: '5432', protocol: 'TCP' }],
        },
      ]);
    }
    // An in-cluster store (rag-azure) runs in the namespace itself: no data-service allow.
    expect(names(doc('rag-azure'), 'rag')).not.toContain('allow-egress-vector-store');
    const feast = doc('feature-store-aws');
    expect(egressOf(feast, 'feast-fraud').find((p) => p.metadata.name === 'allow-egress-data-services')?.spec.egress[0].ports).toEqual([
      { port: '5432', protocol: 'TCP' },
    ]);
    expect(names(feast, 'fraud-serving')).toContain('allow-egress-feature-store');
  });

  test('a PostgresDatabase or KeyValueCache grant opens its port from the grantee namespace (ragData: rag-api)', () => {
    for (const name of ['azure-gpu-cluster', 'existing-cluster']) {
      const d = doc(name);
      const rule = (policy: string) =>
        egressOf(d, 'rag').find((p) => p.metadata.name === policy)?.spec.egress?.[0] as { ports: { port: string }[]; to: any[] };
      const postgres = rule('allow-egress-postgres');
      const cache = rule('allow-egress-cache');
      expect(postgres?.ports.map((p) => p.port)).toEqual(['5432']);
      expect(cache?.ports).toHaveLength(1);
      for (const r of [postgres, cache])
        expect(r.to.map((t: any) => t.ip_block?.[0]?.cidr ?? t.ip_block?.cidr).sort()).toEqual([
          '10.0.0.0/8',
          '172.16.0.0/12',
          '192.168.0.0/16',
        ]);
    }
  });

  test('Prometheus alone scrapes every namespace and the nodes (kubelet, node-exporter) by port', () => {
    const scrape = egressOf(doc('aws-gpu-cluster'), 'monitoring').find((p) => p.metadata.name === 'allow-egress-prometheus-scrape');
    expect(scrape?.spec).toEqual({
      pod_selector: { match_labels: { 'app.kubernetes.io/name': 'prometheus' } },
      policy_types: ['Egress'],
      egress: [
        { to: [{ namespace_selector: {} }] },
        {
          ports: [
            { port: '10250', protocol: 'TCP' },
            { port: '9100', protocol: 'TCP' },
          ],
        },
      ],
    });
  });

  test('the trace collector alone exports to its OTLP backend port, in the cluster or outside', () => {
    const exp = egressOf(doc('aws-gpu-cluster'), 'monitoring').find((p) => p.metadata.name === 'allow-egress-trace-export');
    expect(exp?.spec.pod_selector).toEqual({ match_labels: { 'app.kubernetes.io/name': 'opentelemetry-collector' } });
    expect(exp?.spec.egress).toEqual([
      {
        to: [{ namespace_selector: {} }, { ip_block: { cidr: '0.0.0.0/0', except: ['169.254.0.0/16', '168.63.129.16/32'] } }],
        ports: [{ port: '4317', protocol: 'TCP' }],
      },
    ]);
  });

  test('the GPU operator fetches driver packages over HTTP only where it installs the driver (AKS)', () => {
    const extra = (d: any) => egressOf(d, 'gpu-operator').find((p) => p.metadata.name === 'allow-egress-extra');
    expect(extra(doc('azure-gpu-cluster'))?.spec.egress).toEqual([
      {
        to: [{ ip_block: { cidr: '0.0.0.0/0', except: ['169.254.0.0/16', '168.63.129.16/32'] } }],
        ports: [{ port: '80', protocol: 'TCP' }],
      },
    ]);
    expect(extra(doc('aws-gpu-cluster'))).toBeUndefined();
  });
});

describe('PlatformNamespace egress prop and requests', () => {
  const eks = (stack = awsStack()) => ({
    stack,
    cluster: ExistingCluster.fromEks(stack, 'Shared', { clusterName: 'shared', storageClassName: 'gp3', acceleratorPools: [] }),
  });

  test('bad egress rules are refused, all at once', () => {
    const { stack, cluster } = eks();
    new PlatformNamespace(stack, 'Apps', {
      cluster,
      name: 'apps',
      podSecurity: PodSecurityLevel.RESTRICTED,
      egress: [
        { ports: [] },
        { ports: [0, 70000, 5432.5] },
        { ports: [5432], cidrs: ['10.0.0.0/33', 'db.internal', '10.1.2.3/16'] },
        { ports: [80], cidrs: ['169.254.169.254/32', '168.63.129.16/32', '169.254.0.0/16'] },
      ],
    });
    expect(problemLines(stack)).toEqual([
      'test/Apps/Egress: egress[0].ports [] is empty; list the destination TCP ports, e.g. [5432]',
      'test/Apps/Egress: egress[1].ports[0] 0 is not a TCP port in 1-65535; use the destination port, e.g. 5432',
      'test/Apps/Egress: egress[1].ports[1] 70000 is not a TCP port in 1-65535; use the destination port, e.g. 5432',
      'test/Apps/Egress: egress[1].ports[2] 5432.5 is not a TCP port in 1-65535; use the destination port, e.g. 5432',
      "test/Apps/Egress: egress[2].cidrs[0] '10.0.0.0/33' is not an IPv4 CIDR; use the form 10.20.0.0/16",
      "test/Apps/Egress: egress[2].cidrs[1] 'db.internal' is not an IPv4 CIDR; use the form 10.20.0.0/16",
      "test/Apps/Egress: egress[2].cidrs[2] '10.1.2.3/16' has host bits set; use the network address, e.g. 10.1.0.0/16",
      ...['169.254.169.254/32', '168.63.129.16/32', '169.254.0.0/16'].map(
        (c, i) =>
          `test/Apps/Egress: egress[3].cidrs[${i}] '${c}' is within the cloud metadata ranges (169.254.0.0/16, 168.63.129.16/32), which pods must not reach; give pods cloud credentials through a workload identity (cluster.bindServiceAccount)`,
      ),
    ]);
  });

  test('a user rule over the internet has the metadata ranges cut out; one inside private ranges is kept as is', () => {
    const { stack, cluster } = eks();
    new PlatformNamespace(stack, 'Apps', {
      cluster,
      name: 'apps',
      podSecurity: PodSecurityLevel.RESTRICTED,
      egress: [{ ports: [587], cidrs: ['0.0.0.0/0', '160.0.0.0/4'] }, { ports: [6379] }],
    });
    const extra = Object.values<any>(resources(synthJson(stack), 'kubernetes_network_policy_v1')).find(
      (p) => p.metadata.name === 'allow-egress-extra',
    );
    expect(extra.spec.egress).toEqual([
      {
        to: [
          { ip_block: { cidr: '0.0.0.0/0', except: ['169.254.0.0/16', '168.63.129.16/32'] } },
          { ip_block: { cidr: '160.0.0.0/4', except: ['169.254.0.0/16', '168.63.129.16/32'] } },
        ],
        ports: [{ port: '587', protocol: 'TCP' }],
      },
      {
        to: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'].map((cidr) => ({ ip_block: { cidr } })),
        ports: [{ port: '6379', protocol: 'TCP' }],
      },
    ]);
  });

  test("a Pod Identity bound before or after the namespace is allowed in it, once; another cluster's namespace of that name is not", () => {
    const { stack, cluster } = eks();
    const other = ExistingCluster.fromEks(stack, 'Other', { clusterName: 'other', storageClassName: 'gp3', acceleratorPools: [] });
    cluster.bindServiceAccount(stack, 'Before', { namespace: 'apps', serviceAccountName: 'before' });
    new PlatformNamespace(stack, 'Apps', { cluster, name: 'apps', podSecurity: PodSecurityLevel.RESTRICTED });
    new PlatformNamespace(stack, 'OtherApps', { cluster: other, name: 'apps', podSecurity: PodSecurityLevel.RESTRICTED });
    cluster.bindServiceAccount(stack, 'After', { namespace: 'apps', serviceAccountName: 'after' });
    const agent = Object.entries<any>(resources(synthJson(stack), 'kubernetes_network_policy_v1')).filter(
      ([, p]) => p.metadata.name === 'allow-egress-pod-identity-agent',
    );
    expect(agent.map(([id]) => id)).toEqual([expect.stringMatching(/^Apps_Egress_/)]);
  });

  test('an AKS workload identity (Entra, over HTTPS) needs no link-local allow', () => {
    const stack = azureStack();
    const cluster = ExistingCluster.fromAks(stack, 'Shared', {
      clusterName: 'shared',
      resourceGroupName: 'platform-rg',
      privateEndpointSubnetId: '/subscriptions/0/resourceGroups/net/providers/Microsoft.Network/virtualNetworks/hub/subnets/endpoints',
      storageClassName: 'managed-csi-premium',
      systemTolerations: [{ key: 'CriticalAddonsOnly', operator: 'Exists' }],
      acceleratorPools: [],
    });
    new PlatformNamespace(stack, 'Apps', { cluster, name: 'apps', podSecurity: PodSecurityLevel.RESTRICTED });
    cluster.bindServiceAccount(stack, 'Api', { namespace: 'apps', serviceAccountName: 'api' });
    const names = Object.values<any>(resources(synthJson(stack), 'kubernetes_network_policy_v1')).map((p) => p.metadata.name);
    expect(names).toContain('default-deny-egress');
    expect(names.filter((n) => /identity|agent/.test(n))).toEqual([]);
  });
});

describe('Tenant egress prop', () => {
  test('bad rules are refused; good ones become allow-egress-extra in the tenant namespace', () => {
    const stack = awsStack();
    const cluster = eksCluster(stack);
    const sharing = new GpuSharing(stack, 'Sharing', { cluster });
    const quota = [GpuQuota.of(Gpu.L4, { gpus: 1 })];
    new Tenant(stack, 'Bad', { cluster, sharing, name: 'bad', quota, egress: [{ ports: [5432], cidrs: ['169.254.169.254/32'] }] });
    expect(problemLines(stack)).toEqual([
      "test/Bad/Namespace/Egress: egress[0].cidrs[0] '169.254.169.254/32' is within the cloud metadata ranges (169.254.0.0/16, 168.63.129.16/32), which pods must not reach; give pods cloud credentials through a workload identity (cluster.bindServiceAccount)",
    ]);

    const ok = awsStack();
    const okCluster = eksCluster(ok);
    new Tenant(ok, 'Search', {
      cluster: okCluster,
      sharing: new GpuSharing(ok, 'Sharing', { cluster: okCluster }),
      name: 'search',
      quota,
      egress: [{ ports: [5432] }],
    });
    const extra = Object.values<any>(resources(synthJson(ok), 'kubernetes_network_policy_v1')).find(
      (p) => p.metadata.namespace === 'search' && p.metadata.name === 'allow-egress-extra',
    );
    expect(extra.spec.egress[0].ports).toEqual([{ port: '5432', protocol: 'TCP' }]);
  });
});

describe('egress prop of the stacks that create their namespace', () => {
  const shared = (stack = awsStack()) =>
    ExistingCluster.fromEks(stack, 'Shared', { clusterName: 'shared', storageClassName: 'gp3', acceleratorPools: [] });

  test("ObservabilityStack: Alertmanager's SMTP relay becomes allow-egress-extra in the monitoring namespace", () => {
    const stack = awsStack();
    new ObservabilityStack(stack, 'Obs', { cluster: shared(stack), egress: [{ ports: [587], cidrs: ['0.0.0.0/0'] }] });
    const extra = policies(synthJson(stack)).find((p) => p.metadata.name === 'allow-egress-extra');
    expect(extra?.metadata.namespace).toBe('monitoring');
    expect(extra?.spec.egress[0].ports.map((p: any) => p.port)).toEqual(['587']);
    // The metadata ranges are cut out of what the user allows.
    expect(JSON.stringify(extra?.spec.egress[0].to)).toContain('169.254.0.0/16');
  });

  test('without it the monitoring namespace has no extra allow', () => {
    const stack = awsStack();
    new ObservabilityStack(stack, 'Obs', { cluster: shared(stack) });
    expect(policies(synthJson(stack)).filter((p) => p.metadata.name === 'allow-egress-extra')).toEqual([]);
  });

  test('a bad rule is reported with the stack namespace construct path', () => {
    const stack = awsStack();
    new ObservabilityStack(stack, 'Obs', { cluster: shared(stack), egress: [{ ports: [0] }] });
    expect(problemLines(stack)).toEqual([expect.stringMatching(/^test\/Obs\/Namespace.*: egress\[0\]\.ports\[0\] 0 /)]);
  });
});

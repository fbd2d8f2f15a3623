import { TerraformStack, Testing } from 'cdktf';
import { Gpu } from '../../lib';
import { KUEUE_NAMESPACE } from '../../lib/tenancy/charts';
import { GpuSharing } from '../../lib/tenancy/kueue';
import { GpuQuota } from '../../lib/tenancy/quota';
import { Tenant } from '../../lib/tenancy/tenant';
import { awsStack } from '../helpers';
import { eksCluster, MULTI_TENANT_EXAMPLES } from './fixtures';

/** Every resource of a synthesized stack, by address. */
function addresses(doc: any): Map<string, { body: any }> {
  const out = new Map<string, { body: any }>();
  for (const [type, byName] of Object.entries<any>(doc.resource ?? {}))
    for (const [name, body] of Object.entries<any>(byName)) out.set(`${type}.${name}`, { body });
  return out;
}

/**
 * What each resource waits for on apply, directly or through others (depends_on and references). Terraform
 * destroys in the reverse order: whatever waits for X is gone before X goes.
 */
function waitsFor(doc: any): (from: string) => Set<string> {
  const all = addresses(doc);
  const direct = new Map<string, string[]>();
  for (const [addr, { body }] of all) {
    const refs = new Set<string>(body.depends_on ?? []);
    const text = JSON.stringify({ ...body, depends_on: undefined });
    for (const other of all.keys()) if (other !== addr && text.includes(`\${${other}.`)) refs.add(other);
    direct.set(addr, [...refs]);
  }
  const memo = new Map<string, Set<string>>();
  const closure = (from: string): Set<string> => {
    if (memo.has(from)) return memo.get(from)!;
    const seen = new Set<string>();
    memo.set(from, seen);
    for (const d of direct.get(from) ?? []) {
      seen.add(d);
      for (const x of closure(d)) seen.add(x);
    }
    return seen;
  };
  return closure;
}

function addressOf(doc: any, type: string, pred: (body: any) => boolean): string {
  const hits = Object.entries<any>(doc.resource[type] ?? {}).filter(([, b]) => pred(b));
  expect(hits).toHaveLength(1);
  return `${type}.${hits[0][0]}`;
}

describe.each(MULTI_TENANT_EXAMPLES)('%s: life cycle of the tenancy part', (_name, example) => {
  const { stack, doc } = example();
  const closure = waitsFor(doc);
  const release = (n: string) => addressOf(doc, 'helm_release', (r) => r.name === n);
  const namespace = (n: string) => addressOf(doc, 'kubernetes_namespace_v1', (r) => r.metadata.name === n);
  const kueue = release('kueue');
  const objects = release('kueue-platform-objects');
  const tenants = stack.node.children.filter((c): c is Tenant => c instanceof Tenant).map((t) => t.name);

  test('destroy: queues, then the namespace (its Workloads and managed pods), then the ClusterQueue, flavors, Kueue', () => {
    expect(tenants).toEqual(['search', 'ads', 'research']);
    // a waits for b (so destroy removes a first), for each consecutive pair.
    const chain = (t: string) => [
      release(`tenant-${t}`),
      namespace(t),
      release(`tenant-${t}-queue`),
      objects,
      kueue,
      namespace(KUEUE_NAMESPACE),
    ];
    for (const t of tenants) {
      const c = chain(t);
      for (let i = 0; i + 1 < c.length; i++) expect([c[i], closure(c[i]).has(c[i + 1])]).toEqual([c[i], true]);
      for (let i = 1; i < c.length; i++) expect([c[i], closure(c[i]).has(c[0])]).toEqual([c[i], false]);
    }
  });

  test("destroy leaves nothing to finalize: every Kueue object's release waits for its deletion", () => {
    // helm_release.wait also makes uninstall wait until the objects are gone (Kueue has removed the
    // resource-in-use finalizers of ClusterQueues and ResourceFlavors) before Terraform moves on to Kueue.
    for (const r of [kueue, objects, ...tenants.flatMap((t) => [release(`tenant-${t}`), release(`tenant-${t}-queue`)])]) {
      const body = addresses(doc).get(r)!.body;
      expect([r, body.wait, body.namespace]).toEqual([r, true, KUEUE_NAMESPACE]);
    }
    // Everything in a tenant namespace goes before it, and it goes while Kueue still runs.
    for (const [addr, { body }] of addresses(doc)) {
      if (body.metadata?.namespace && tenants.includes(body.metadata.namespace))
        expect([addr, closure(addr).has(namespace(body.metadata.namespace))]).toEqual([addr, true]);
    }
  });

  test('first apply: nothing of the platform waits for Kueue, so Kueue being down never blocks it', () => {
    // Logical ids start with the construct's id: the sharing's and the tenants' own resources.
    const tenancy = /^[a-z0-9_]+\.(Sharing|Search|Ads|Research)_/;
    const waiting = [...addresses(doc).keys()].filter((addr) => closure(addr).has(kueue));
    expect(waiting.length).toBeGreaterThan(10);
    for (const addr of waiting) expect([addr, tenancy.test(addr)]).toEqual([addr, true]);
    expect(closure(release('kube-prometheus-stack')).has(kueue)).toBe(false);
    expect(closure(release('gpu-operator')).has(kueue)).toBe(false);
  });

  test('second apply and upgrade: the Kueue release carries no timestamp or generated secret, and lets Helm apply its CRDs', () => {
    const again = example().doc;
    for (const n of ['kueue', 'kueue-platform-objects', ...tenants.map((t) => `tenant-${t}-queue`)])
      expect(addresses(again).get(release(n))!.body).toEqual(addresses(doc).get(release(n))!.body);
    const body = addresses(doc).get(kueue)!.body;
    // The 0.19 chart ships its CRDs as templates (templates/crd/), which `helm upgrade` applies; skip_crds
    // would not stop them, and nothing here sets it.
    expect(body.skip_crds).toBeUndefined();
    // Kueue's internal certificates: the chart renders the webhook Secret empty and Kueue fills it (and the
    // caBundles) at run time; no cert-manager, no certificate in the values.
    expect(body.values[0]).not.toMatch(/enableCertManager|internalCertManagement|caBundle|tls\.crt/);
  });
});

test('a Tenant in another stack than GpuSharing orders that stack after it (destroyed before it)', () => {
  const app = Testing.app();
  const platform = awsStack('platform', undefined, app);
  const cluster = eksCluster(platform);
  const sharing = new GpuSharing(platform, 'Sharing', { cluster });
  const teams: TerraformStack = new TerraformStack(app, 'teams');
  new Tenant(teams, 'Search', { cluster, sharing, name: 'search', quota: [GpuQuota.of(Gpu.L4, { gpus: 1 })] });
  expect(teams.dependencies).toContain(platform);
  expect(platform.dependencies).not.toContain(teams);
});

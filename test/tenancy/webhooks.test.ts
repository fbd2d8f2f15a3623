import { TerraformStack } from 'cdktf';
import * as fs from 'fs';
import * as path from 'path';
import { parse } from 'yaml';
import { Gpu } from '../../lib';
import { toYaml } from '../../lib/private/yaml';
import { KUEUE_NAMESPACE, TenancyLabels } from '../../lib/tenancy/charts';
import { GpuSharing } from '../../lib/tenancy/kueue';
import { GpuQuota } from '../../lib/tenancy/quota';
import { Tenant } from '../../lib/tenancy/tenant';
import { awsStack, problemLines, synthJson } from '../helpers';
import { eksCluster, ofType, MULTI_TENANT_EXAMPLES } from './fixtures';

/** Kueue chart 0.19.2's admission webhooks, transcribed from its templates (test/fixtures/README.md). */
const CHART = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'kueue', 'webhooks.json'), 'utf8'));
type Selector = { matchLabels?: { [k: string]: string }; matchExpressions?: { key: string; operator: string; values?: string[] }[] };
type Namespace = { name: string; labels: { [k: string]: string } };

/** A LabelSelector as the API server evaluates a webhook's namespaceSelector. */
function matches(sel: Selector, labels: { [k: string]: string }): boolean {
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of sel.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(labels, e.key);
    const ok =
      e.operator === 'In'
        ? has && e.values!.includes(labels[e.key])
        : e.operator === 'NotIn'
          ? !has || !e.values!.includes(labels[e.key])
          : e.operator === 'Exists'
            ? has
            : e.operator === 'DoesNotExist'
              ? !has
              : (() => {
                  throw new Error(`unknown operator ${e.operator}`);
                })();
    if (!ok) return false;
  }
  return true;
}

/** What the chart template renders as a webhook's namespaceSelector for a Kueue Configuration. */
function renderedSelector(webhook: any, config: { [k: string]: any }, releaseNamespace: string): Selector | undefined {
  const from = webhook.namespaceSelector;
  if (!from) return undefined;
  if (Object.prototype.hasOwnProperty.call(config, from.fromManagerConfig)) return config[from.fromManagerConfig];
  return JSON.parse(JSON.stringify(from.default).replace('{{ .Release.Namespace }}', releaseNamespace));
}

/** Every namespace the stack puts in the cluster, plus the ones every cluster has. */
function namespacesOf(doc: any): Namespace[] {
  const out = new Map<string, Namespace>();
  const add = (name: string, labels: { [k: string]: string } = {}) =>
    out.set(name, { name, labels: { ...labels, 'kubernetes.io/metadata.name': name } });
  for (const n of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) add(n);
  for (const r of ofType(doc, 'helm_release')) if (!out.has(r.namespace)) add(r.namespace);
  for (const n of ofType(doc, 'kubernetes_namespace_v1')) add(n.metadata.name, n.metadata.labels ?? {});
  return [...out.values()];
}

/** The Configuration the Kueue release renders, checked to be `sharing.configuration` verbatim. */
function renderedConfiguration(doc: any, sharing: GpuSharing): { [k: string]: any } {
  const kueue = ofType(doc, 'helm_release').find((r) => r.name === 'kueue');
  const values = parse(kueue.values[0]);
  expect(values.managerConfig.controllerManagerConfigYaml).toBe(toYaml(sharing.configuration));
  return sharing.configuration;
}

const NAMESPACED_KUEUE_KINDS = ['workloads', 'workloads/status'];

function expectScopedToTenants(doc: any, sharing: GpuSharing, tenants: string[]): void {
  const config = renderedConfiguration(doc, sharing);
  const namespaces = namespacesOf(doc);
  // The platform's own namespaces are there to be protected.
  for (const ns of ['kube-system', KUEUE_NAMESPACE, 'gpu-operator']) expect(namespaces.map((n) => n.name)).toContain(ns);
  for (const w of CHART.webhooks) {
    const sel = renderedSelector(w, config, KUEUE_NAMESPACE);
    if (!sel) {
      // No selector: only Kueue's own kinds, whose objects exist in tenant namespaces alone (Workloads) or
      // are cluster-scoped and written by the platform's Kueue releases.
      expect([w.name, w.apiGroups]).toEqual([w.name, ['kueue.x-k8s.io']]);
      for (const r of w.resources) expect(['clusterqueues', 'resourceflavors', 'cohorts', ...NAMESPACED_KUEUE_KINDS]).toContain(r);
      continue;
    }
    const hit = namespaces.filter((n) => matches(sel, n.labels)).map((n) => n.name);
    expect([w.name, hit.sort()]).toEqual([w.name, [...tenants].sort()]);
  }
}

describe("Kueue's admission webhooks (chart 0.19.2) are called for tenant namespaces only", () => {
  test('the fixture covers every webhook of the chart: 43, 36 of them on workload kinds', () => {
    expect(CHART.version).toBe('0.19.2');
    expect(CHART.webhooks).toHaveLength(43);
    const unscoped = CHART.webhooks.filter((w: any) => !w.namespaceSelector).map((w: any) => w.name);
    expect(unscoped.sort()).toEqual([
      'mclusterqueue.kb.io',
      'mresourceflavor.kb.io',
      'mworkload.kb.io',
      'vclusterqueue.kb.io',
      'vcohort.kb.io',
      'vresourceflavor.kb.io',
      'vworkload.kb.io',
    ]);
    for (const kind of ['pods', 'jobs', 'deployments', 'statefulsets', 'jobsets', 'leaderworkersets', 'rayjobs', 'pytorchjobs'])
      for (const prefix of ['m', 'v'])
        expect(CHART.webhooks.find((w: any) => w.resources.includes(kind) && w.name.startsWith(prefix)).namespaceSelector).not.toBeNull();
  });

  describe.each(MULTI_TENANT_EXAMPLES)('%s', (_name, example) => {
    const { doc, sharing } = example();

    test('every workload webhook selects exactly the tenant namespaces; monitoring, GPU operator and kube-system never', () => {
      expectScopedToTenants(doc, sharing, ['search', 'ads', 'research']);
      // Webhooks of frameworks Kueue runs fail closed: scoping is what keeps them off platform pods.
      const frameworks: string[] = sharing.configuration.integrations.frameworks;
      const failing = CHART.webhooks.filter(
        (w: any) =>
          w.failurePolicy === 'Fail' || (w.failurePolicy?.frameworkEnabled && frameworks.includes(w.failurePolicy.frameworkEnabled)),
      );
      expect(failing.map((w: any) => w.name)).toEqual(
        expect.arrayContaining(['mpod.kb.io', 'vpod.kb.io', 'mdeployment.kb.io', 'vstatefulset.kb.io']),
      );
    });
  });

  test('without the selector the chart would send every namespace but kube-system and Kueue to Kueue', () => {
    const stack = awsStack();
    const cluster = eksCluster(stack);
    const sharing = new GpuSharing(stack, 'Sharing', { cluster });
    new Tenant(stack, 'Search', { cluster, sharing, name: 'search', quota: [GpuQuota.of(Gpu.L4, { gpus: 2 })] });
    const doc = synthJson(stack);
    expectScopedToTenants(doc, sharing, ['search']);
    const { managedJobsNamespaceSelector: _dropped, ...unscoped } = sharing.configuration;
    const pod = CHART.webhooks.find((w: any) => w.name === 'mpod.kb.io');
    const hit = namespacesOf(doc)
      .filter((n) => matches(renderedSelector(pod, unscoped, KUEUE_NAMESPACE)!, n.labels))
      .map((n) => n.name);
    expect(hit).toEqual(expect.arrayContaining(['gpu-operator', 'default', 'search']));
    expect(hit).not.toContain('kube-system');
  });

  test('a values override that drops the tenant selector is reported', () => {
    const bad = (values: { [k: string]: any }) => {
      const stack: TerraformStack = awsStack();
      new GpuSharing(stack, 'Sharing', { cluster: eksCluster(stack), chart: { values } });
      return problemLines(stack);
    };
    expect(
      bad({ managerConfig: { controllerManagerConfigYaml: 'apiVersion: config.kueue.x-k8s.io/v1beta2\nkind: Configuration\n' } }),
    ).toEqual([
      `test/Sharing: chart.values.managerConfig.controllerManagerConfigYaml (a Configuration without the tenant namespace selector) drops managedJobsNamespaceSelector on '${TenancyLabels.TENANT}' from the Kueue Configuration, the selector that keeps Kueue's webhooks (failurePolicy Fail) out of system and platform namespaces; remove the override, or keep managedJobsNamespaceSelector: { matchExpressions: [{ key: ${TenancyLabels.TENANT}, operator: Exists }] } in it`,
    ]);
    expect(bad({ managerConfig: null })).toHaveLength(1);
    // A configuration that keeps the selector, and overrides elsewhere, pass.
    const kept = toYaml({ managedJobsNamespaceSelector: { matchExpressions: [{ key: TenancyLabels.TENANT, operator: 'Exists' }] } });
    expect(bad({ managerConfig: { controllerManagerConfigYaml: kept } })).toEqual([]);
    expect(bad({ controllerManager: { replicas: 3 } })).toEqual([]);
  });
});

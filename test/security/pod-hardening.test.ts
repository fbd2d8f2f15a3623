import { RagAwsStack } from '../../examples/rag-aws/stack';
import { RagAzureStack } from '../../examples/rag-azure/stack';
import { ManifestsRelease } from '../../lib/addons/manifests';
import { PodSecurityLevel } from '../../lib/addons/namespace';
import { ObservabilityStack } from '../../lib/observability-stack';
import { DcgmExporterSource } from '../../lib/observability/dcgm';
import { VectorStore } from '../../lib/rag/vector-store';
import { awsStack, resources, synthAppMerged, synthJson } from '../helpers';
import { EXAMPLES } from '../life-cycle';
import { awsCluster } from '../observability/fixtures';

/** Workload resources of the Kubernetes provider. */
const WORKLOAD = /^kubernetes_(deployment|daemon_set|stateful_set|job|cron_job|pod)(_v\d)?$/;

/**
 * Containers allowed to run privileged, with the reason (also written beside them in lib/).
 */
const PRIVILEGED_CONTAINERS: { [container: string]: string } = {
  'neuron-monitor': 'reads every Neuron device of the node; the device plugin resource would take them from the models',
};

/** Containers allowed a writable root file system (otherwise hardened), with the reason. */
const WRITABLE_ROOT: { [container: string]: string } = {};

/** Namespaces whose enforced level is not 'restricted', by name pattern, with the level and the reason. */
const NOT_RESTRICTED: { pattern: RegExp; level: string; reason: string }[] = [
  { pattern: /^gpu-operator$/, level: 'privileged', reason: 'driver, toolkit and device plugin DaemonSets need the host' },
  { pattern: /-node-agents$/, level: 'privileged', reason: 'node-exporter, DCGM exporter, neuron-monitor read the host' },
  { pattern: /^neuron-healthcheck/, level: 'privileged', reason: 'the node problem detector reads /dev/kmsg from the host' },
  {
    pattern: /^(ads|search)$/,
    level: 'baseline',
    reason: "the multi-tenant example's Tenants pass podSecurity BASELINE for their own vLLM images (root); the default is restricted",
  },
];

const first = (v: any): any => (Array.isArray(v) ? v[0] : v);
const list = (v: any): any[] => (v === undefined || v === null ? [] : Array.isArray(v) ? v : [v]);

/** The pod spec of a provider workload (Deployment, DaemonSet, StatefulSet, Job, CronJob). */
function podSpec(r: any): any {
  const spec = first(r.spec) ?? {};
  const jobTemplate = first(spec.job_template);
  const template = first(spec.template) ?? (jobTemplate ? first(first(jobTemplate.spec)?.template) : undefined);
  return first(template?.spec) ?? spec;
}

/**
 * What a container lacks of the hardened settings (Kubernetes provider shape, snake_case), given its pod's
 * context: non-root, no privilege escalation, capabilities dropped, RuntimeDefault seccomp, read-only root.
 */
function missingHardening(pod: any, container: any): string[] {
  const psc = first(pod.security_context) ?? {};
  const sc = first(container.security_context) ?? {};
  const missing: string[] = [];
  const uid = sc.run_as_user ?? psc.run_as_user;
  if (!(sc.run_as_non_root === true || psc.run_as_non_root === true)) missing.push('run_as_non_root');
  if (uid !== undefined && String(uid) === '0') missing.push('run_as_user 0');
  if (sc.allow_privilege_escalation !== false) missing.push('allow_privilege_escalation = false');
  if (!list(first(sc.capabilities)?.drop).includes('ALL')) missing.push('capabilities.drop ALL');
  if (list(first(sc.capabilities)?.add).length) missing.push('no added capabilities');
  const seccomp = first(sc.seccomp_profile)?.type ?? first(psc.seccomp_profile)?.type;
  if (seccomp !== 'RuntimeDefault') missing.push('seccomp RuntimeDefault');
  if (sc.read_only_root_filesystem !== true) missing.push('read_only_root_filesystem');
  if (sc.privileged === true) missing.push('not privileged');
  return missing;
}

/** The same for a Kubernetes manifest (camelCase, numbers as numbers). */
function missingManifestHardening(pod: any, container: any): string[] {
  const psc = pod.securityContext ?? {};
  const sc = container.securityContext ?? {};
  const missing: string[] = [];
  if (!(sc.runAsNonRoot === true || psc.runAsNonRoot === true)) missing.push('runAsNonRoot');
  if ((sc.runAsUser ?? psc.runAsUser) === 0) missing.push('runAsUser 0');
  if (sc.allowPrivilegeEscalation !== false) missing.push('allowPrivilegeEscalation = false');
  if (!list(sc.capabilities?.drop).includes('ALL')) missing.push('capabilities.drop ALL');
  if ((sc.seccompProfile?.type ?? psc.seccompProfile?.type) !== 'RuntimeDefault') missing.push('seccomp RuntimeDefault');
  if (sc.readOnlyRootFilesystem !== true) missing.push('readOnlyRootFilesystem');
  if (sc.privileged === true) missing.push('not privileged');
  return missing;
}

describe('the hardening check itself', () => {
  test('flags a container without the settings and passes a hardened one', () => {
    expect(missingHardening({}, { name: 'x' })).toEqual([
      'run_as_non_root',
      'allow_privilege_escalation = false',
      'capabilities.drop ALL',
      'seccomp RuntimeDefault',
      'read_only_root_filesystem',
    ]);
    const pod = { security_context: { run_as_non_root: true, run_as_user: '1000', seccomp_profile: { type: 'RuntimeDefault' } } };
    const hardened = {
      security_context: { allow_privilege_escalation: false, capabilities: { drop: ['ALL'] }, read_only_root_filesystem: true },
    };
    expect(missingHardening(pod, hardened)).toEqual([]);
    expect(missingHardening({ security_context: { ...pod.security_context, run_as_user: '0' } }, hardened)).toEqual(['run_as_user 0']);
    expect(missingManifestHardening({}, { securityContext: { privileged: true } })).toContain('not privileged');
  });
});

describe.each(EXAMPLES)('example %s', (_name, make) => {
  let doc: any;
  let manifests: { [key: string]: any }[];
  beforeAll(() => {
    manifests = [];
    doc = synthAppMerged((app) => {
      make(app);
      // The rendered manifests of the library's own releases (feature servers, KEDA objects, rules).
      for (const c of app.node.findAll()) if (c instanceof ManifestsRelease) manifests.push(...c.manifests);
    }).doc;
  });

  test('every workload container outside kube-system is non-root, unprivileged, without capabilities, seccomp RuntimeDefault and read-only', () => {
    const problems: string[] = [];
    for (const [type, byName] of Object.entries<any>(doc.resource ?? {})) {
      if (!WORKLOAD.test(type)) continue;
      for (const [name, r] of Object.entries<any>(byName)) {
        if (first(r.metadata)?.namespace === 'kube-system') continue;
        const pod = podSpec(r);
        for (const c of [...list(pod.container), ...list(pod.init_container)]) {
          if (PRIVILEGED_CONTAINERS[c.name] !== undefined) {
            expect(first(c.security_context)?.privileged).toBe(true);
            continue;
          }
          const missing = missingHardening(pod, c).filter((m) => !(m === 'read_only_root_filesystem' && WRITABLE_ROOT[c.name]));
          if (missing.length) problems.push(`${type}.${name} container ${c.name}: ${missing.join(', ')}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  test("every pod of the library's own manifests is hardened the same way", () => {
    const problems: string[] = [];
    for (const m of manifests) {
      if (!/^(Deployment|DaemonSet|StatefulSet|Job|CronJob)$/.test(m.kind)) continue;
      const pod = m.kind === 'CronJob' ? m.spec.jobTemplate.spec.template.spec : m.spec.template.spec;
      for (const c of [...list(pod.containers), ...list(pod.initContainers)]) {
        const missing = missingManifestHardening(pod, c);
        if (missing.length) problems.push(`${m.kind} ${m.metadata.name} container ${c.name}: ${missing.join(', ')}`);
      }
    }
    expect(problems).toEqual([]);
  });

  test("every namespace the library creates enforces 'restricted', or a level on the allow-list", () => {
    const problems: string[] = [];
    for (const type of ['kubernetes_namespace_v1', 'kubernetes_namespace']) {
      for (const r of Object.values<any>(resources(doc, type))) {
        const md = first(r.metadata);
        const enforce = md.labels?.['pod-security.kubernetes.io/enforce'];
        const allowed = NOT_RESTRICTED.find((a) => a.pattern.test(md.name));
        // A RAG namespace holding Qdrant or Milvus: 'baseline' (their charts cannot drop capabilities).
        const store = inClusterStoreIn(doc, md.name);
        const expected = allowed?.level ?? (store === 'qdrant' || store === 'milvus' ? 'baseline' : 'restricted');
        if (enforce !== expected) problems.push(`namespace ${md.name}: enforce=${enforce}, expected ${expected}`);
      }
    }
    expect(problems).toEqual([]);
  });
});

/** The chart of the in-cluster vector store released into a namespace, if any. */
function inClusterStoreIn(doc: any, namespace: string): string | undefined {
  for (const r of Object.values<any>(resources(doc, 'helm_release'))) {
    if (r.namespace === namespace && ['qdrant', 'milvus', 'weaviate'].includes(r.chart)) return r.chart;
  }
  return undefined;
}

describe('model servers and staging jobs write only to their emptyDirs', () => {
  let doc: any;
  beforeAll(() => {
    doc = synthAppMerged((app) => {
      new RagAwsStack(app, 'rag-aws');
      new RagAzureStack(app, 'rag-azure');
    }).doc;
  });

  /** The mount paths of a pod's emptyDir volumes (medium by path). */
  function emptyDirMounts(pod: any, c: any): Map<string, string> {
    const emptyDirs = new Map<string, string>(
      list(pod.volume)
        .filter((v) => first(v.empty_dir) !== undefined)
        .map((v) => [v.name, first(v.empty_dir).medium ?? '']),
    );
    return new Map(
      list(c.volume_mount)
        .filter((m) => emptyDirs.has(m.name))
        .map((m) => [m.mount_path, emptyDirs.get(m.name)!]),
    );
  }
  const under = (path: string, mounts: Map<string, string>) => [...mounts.keys()].some((m) => path === m || path.startsWith(`${m}/`));
  const envOf = (c: any) =>
    new Map<string, string>(
      list(c.env)
        .filter((e) => e.value !== undefined)
        .map((e) => [e.name, e.value]),
    );

  test('vLLM: read-only root, a numeric non-root uid, HOME, caches and configuration on emptyDirs, /tmp and a memory /dev/shm', () => {
    const servers = Object.values<any>(resources(doc, 'kubernetes_deployment_v1')).filter(
      (d) => first(podSpec(d).container).name === 'vllm',
    );
    expect(servers.length).toBeGreaterThan(0);
    for (const d of servers) {
      const pod = podSpec(d);
      const c = first(pod.container);
      expect(missingHardening(pod, c)).toEqual([]);
      const psc = first(pod.security_context);
      expect(Number(psc.run_as_user)).toBeGreaterThan(0);
      expect(psc.run_as_group).toBe(psc.run_as_user);
      expect(psc.fs_group).toBe(psc.run_as_user);
      const mounts = emptyDirMounts(pod, c);
      expect(mounts.get('/tmp')).toBe('');
      expect(mounts.get('/dev/shm')).toBe('Memory');
      const env = envOf(c);
      for (const name of ['HOME', 'HF_HOME', 'VLLM_CACHE_ROOT', 'XDG_CACHE_HOME', 'XDG_CONFIG_HOME']) {
        expect([name, env.get(name)]).toEqual([name, expect.any(String)]);
        expect([name, under(env.get(name)!, mounts)]).toEqual([name, true]);
      }
      // getpass needs a user name for a uid without a passwd entry.
      expect(env.get('USER')).toBe('vllm');
      // The model cache is read-only for servers.
      for (const m of list(c.volume_mount)) if (!mounts.has(m.mount_path)) expect(m.read_only).toBe(true);
    }
  });

  test('staging: read-only root as the servers uid, pip target, HOME, HF_HOME and the user base on the tmp emptyDir', () => {
    const jobs = Object.values<any>(resources(doc, 'kubernetes_job_v1')).filter((j) => first(podSpec(j).container).name === 'stage');
    expect(jobs.length).toBeGreaterThan(0);
    for (const j of jobs) {
      const pod = podSpec(j);
      const c = first(pod.container);
      expect(missingHardening(pod, c)).toEqual([]);
      expect(first(pod.security_context)).toMatchObject({ run_as_user: '1000', run_as_group: '1000', fs_group: '1000' });
      const mounts = emptyDirMounts(pod, c);
      const env = envOf(c);
      for (const name of ['HOME', 'HF_HOME', 'PYTHONPATH', 'PYTHONUSERBASE'])
        expect([name, under(env.get(name) ?? '', mounts)]).toEqual([name, true]);
      const target = /--target (\S+)/.exec(c.command[2])![1];
      expect(under(target, mounts)).toBe(true);
      expect(env.get('PYTHONPATH')).toBe(target);
    }
  });

  test('the router: read-only root, non-root, HOME on its tmp emptyDir', () => {
    const routers = Object.values<any>(resources(doc, 'kubernetes_deployment_v1')).filter(
      (d) => first(podSpec(d).container).name === 'router',
    );
    expect(routers.length).toBeGreaterThan(0);
    for (const d of routers) {
      const pod = podSpec(d);
      const c = first(pod.container);
      expect(missingHardening(pod, c)).toEqual([]);
      expect(under(envOf(c).get('HOME')!, emptyDirMounts(pod, c))).toBe(true);
    }
  });
});

describe('Pod Security levels of the namespaces the library creates', () => {
  test("vector stores declare 'restricted' where their pods can pass it, 'baseline' for Qdrant and Milvus", () => {
    expect(VectorStore.pgvector().podSecurity).toBe(PodSecurityLevel.RESTRICTED);
    expect(VectorStore.weaviate().podSecurity).toBe(PodSecurityLevel.RESTRICTED);
    expect(VectorStore.qdrant().podSecurity).toBe(PodSecurityLevel.BASELINE);
    expect(VectorStore.milvus().podSecurity).toBe(PodSecurityLevel.BASELINE);
  });

  test("ObservabilityStack: its namespace 'restricted', host DaemonSets in '<namespace>-node-agents' (privileged)", () => {
    const stack = awsStack();
    const cluster = awsCluster(stack, { installGpuOperator: false });
    const obs = new ObservabilityStack(stack, 'Obs', { cluster, dcgmExporter: DcgmExporterSource.standalone() });
    expect(obs.nodeAgentsNamespace).toBe('monitoring-node-agents');
    const doc = synthJson(stack);
    const levels = Object.fromEntries(
      Object.values<any>(resources(doc, 'kubernetes_namespace_v1')).map((n) => [
        n.metadata.name,
        n.metadata.labels['pod-security.kubernetes.io/enforce'],
      ]),
    );
    expect(levels).toMatchObject({ monitoring: 'restricted', 'monitoring-node-agents': 'privileged' });
    const releases = Object.values<any>(resources(doc, 'helm_release'));
    const kps = releases.find((r) => r.name === 'kube-prometheus-stack');
    expect(kps.namespace).toBe('monitoring');
    // node-exporter (hostNetwork, hostPID, hostPath) moves out; Grafana's root chown init container is off.
    expect(kps.values[0]).toMatch(/^prometheus-node-exporter:\n {2}namespaceOverride: monitoring-node-agents$/m);
    expect(kps.values[0]).toMatch(/^ {2}initChownData:\n {4}enabled: false$/m);
    expect(kps.depends_on).toEqual(expect.arrayContaining([expect.stringMatching(/^kubernetes_namespace_v1\.Obs_NodeAgentsNamespace/)]));
    // The standalone DCGM exporter (root, SYS_ADMIN, hostPath) and neuron-monitor (privileged) too.
    expect(releases.find((r) => r.name === 'dcgm-exporter').namespace).toBe('monitoring-node-agents');
    const monitor = Object.values<any>(resources(doc, 'kubernetes_daemon_set_v1')).find((d) => d.metadata.name === 'neuron-monitor');
    expect(monitor.metadata.namespace).toBe('monitoring-node-agents');
    expect(kps.values[0]).toMatch(/- name: neuron-monitor\n(.*\n){4} +namespaceSelector:\n +matchNames:\n +- monitoring-node-agents\n/);
  });
});

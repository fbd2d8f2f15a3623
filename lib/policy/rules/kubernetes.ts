import { block, blocks, Config, isToken, isTrue, ResourceView, Rule, SecurityRuleLevel, StackView } from '../rule';
import { podSecurityNeedsReason } from '../../private/pod-security';

const { ERROR, WARNING } = SecurityRuleLevel;

const kinds = (...names: string[]) => names.flatMap((n) => [`kubernetes_${n}`, `kubernetes_${n}_v1`]);

/** Resource types that run pods, each with where its pod spec sits. */
const WORKLOAD_TYPES = [
  ...kinds('deployment', 'stateful_set', 'daemon_set', 'job', 'cron_job', 'pod', 'replication_controller'),
  'kubernetes_daemonset',
];
const NAMESPACE_TYPES = kinds('namespace');
const NETWORK_POLICY_TYPES = kinds('network_policy');

/** The pod spec of a workload; undefined when it is not written out (a token). */
function podSpec({ type, config }: ResourceView): Config | undefined {
  const spec = block(config.spec);
  if (/^kubernetes_pod(_v1)?$/.test(type)) return spec;
  const jobSpec = /cron_job/.test(type) ? block(block(spec?.job_template)?.spec) : spec;
  return block(block(jobSpec?.template)?.spec);
}

/** Containers (init containers too) with their effective security settings: container over pod. */
function containers(pod: Config): { name: string; sc: Config; podSc: Config }[] {
  const podSc = block(pod.security_context) ?? {};
  return [...blocks(pod.init_container), ...blocks(pod.container)].map((c) => ({
    name: typeof c.name === 'string' && !isToken(c.name) ? c.name : '(token)',
    sc: block(c.security_context) ?? {},
    podSc,
  }));
}

type Container = ReturnType<typeof containers>[number];

/**
 * A rule over every container of a workload: `bad` says whether a container breaks it (`undefined` when
 * a token decides), the problem lists the containers that do.
 */
function containerRule(
  id: string,
  level: SecurityRuleLevel,
  description: string,
  fix: string,
  what: [singular: string, plural: string],
  bad: (c: Container) => boolean | undefined,
): Rule {
  return {
    id,
    level,
    resourceTypes: WORKLOAD_TYPES,
    description,
    fix,
    check: (r) => {
      const pod = podSpec(r);
      if (!pod) return undefined;
      const names = containers(pod)
        .filter((c) => bad(c) === true)
        .map((c) => `'${c.name}'`);
      if (!names.length) return undefined;
      return names.length > 1 ? `containers ${names.join(', ')} ${what[1]}` : `container ${names[0]} ${what[0]}`;
    },
  };
}

/** Whether `v` decides: undefined when it is a token. */
const known = (v: unknown, good: (v: unknown) => boolean): boolean | undefined => (isToken(v) ? undefined : !good(v));

/** The namespace a Kubernetes object lives in, as a key shared with the namespace resources; undefined when unknown. */
function namespaceKey(stack: StackView, value: unknown): string | undefined {
  if (value === undefined || value === null || value === '') return 'default';
  if (!isToken(value)) return String(value);
  const text = stack.resolved(value);
  const ref = text && /\$\{(kubernetes_namespace(?:_v1)?\.[^.}\s]+)\.metadata/.exec(text);
  return ref ? ref[1] : undefined;
}

/** The keys a namespace resource answers to: its literal name and its address. */
function namespaceKeys(ns: ResourceView): string[] {
  const name = block(ns.config.metadata)?.name;
  return [ns.address, ...(typeof name === 'string' && !isToken(name) ? [name] : [])];
}

function objectNamespace(stack: StackView, r: ResourceView): string | undefined {
  return namespaceKey(stack, r.type === 'helm_release' ? r.config.namespace : block(r.config.metadata)?.namespace);
}

/** Whether a namespace has workloads (Kubernetes resources or Helm releases) in the stack. */
function hasWorkloads(stack: StackView, ns: ResourceView): boolean {
  const keys = namespaceKeys(ns);
  return stack.ofType(...WORKLOAD_TYPES, 'helm_release').some((w) => keys.includes(objectNamespace(stack, w) ?? '\u0000'));
}

/**
 * Whether the namespace has a NetworkPolicy selecting every pod with `direction` in its policy types and
 * no rule of that direction (a default deny); undefined when a policy in it is not written out.
 */
function hasDefaultDeny(stack: StackView, ns: ResourceView, direction: 'Ingress' | 'Egress'): boolean | undefined {
  const keys = namespaceKeys(ns);
  let unknown = false;
  for (const p of stack.ofType(...NETWORK_POLICY_TYPES)) {
    const key = objectNamespace(stack, p);
    if (key === undefined) unknown = true;
    if (!key || !keys.includes(key)) continue;
    const spec = block(p.config.spec);
    const types = spec?.policy_types;
    if (!spec || isToken(types) || isToken(spec.pod_selector)) {
      unknown = true;
      continue;
    }
    const selector = block(spec.pod_selector) ?? {};
    const selectsAll = !blocks(selector.match_expressions).length && !Object.keys(selector.match_labels ?? {}).length;
    const rules = blocks(spec[direction.toLowerCase()]);
    if (selectsAll && Array.isArray(types) && types.includes(direction) && rules.length === 0) return true;
  }
  return unknown ? undefined : false;
}

function defaultDenyRule(direction: 'Ingress' | 'Egress', level: SecurityRuleLevel): Rule {
  const lower = direction.toLowerCase();
  return {
    id: `k8s-default-deny-${lower}`,
    level,
    resourceTypes: NAMESPACE_TYPES,
    description: `Every namespace with workloads has a default-deny ${lower} NetworkPolicy, with explicit allows beside it.`,
    fix: `add a NetworkPolicy in the namespace with pod_selector {} and policy_types = ["${direction}"] and no ${lower} rule, plus the allows its workloads need (PlatformNamespace does)`,
    check: (ns, stack) =>
      hasWorkloads(stack, ns) && hasDefaultDeny(stack, ns, direction) === false
        ? `the namespace runs workloads and no NetworkPolicy denies ${lower} by default`
        : undefined,
  };
}

/**
 * A suspicious key for a secret in Helm values, and names that only point at one or hold none (`httpTokens`:
 * EC2's IMDSv2 switch, `required`/`optional`, in Karpenter's EC2NodeClass metadata options).
 */
const SECRET_KEY = /(password|passwd|secret|token|api[-_]?key|access[-_]?key|private[-_]?key|credential)s?$/i;
const REFERENCE_KEY = /^existing|^httpTokens$|(name|ref|refs|file|path|enabled|create|mount|header|field|env|type|selector|keyref)$/i;
const LITERAL_LINE = /^\s*(?:-\s+)?["']?([A-Za-z0-9_.-]+)["']?\s*:\s+(.+?)\s*$/;
const URL_CREDENTIALS = /[a-z][a-z0-9+.-]*:\/\/[^\s/:@'"]+:([^\s/@'"]+)@/i;

/** Literal secrets in one Helm values document: `key: value` lines and `user:pass@` URLs. */
function literalSecrets(values: string): string[] {
  const found: string[] = [];
  for (const line of values.split('\n')) {
    const url = URL_CREDENTIALS.exec(line);
    if (url && !url[1].includes('${')) found.push('a URL with a password');
    const m = LITERAL_LINE.exec(line);
    if (!m || !SECRET_KEY.test(m[1]) || REFERENCE_KEY.test(m[1])) continue;
    const value = m[2].replace(/^["']|["']$/g, '');
    if (!value || value.includes('${') || /^(null|~|true|false|\{\}|\[\]|[|>][-+]?)$/i.test(value) || /^-?\d+(\.\d+)?$/.test(value))
      continue;
    found.push(`'${m[1]}'`);
  }
  return found;
}

/** Rules over Kubernetes objects and Helm releases. */
export const KUBERNETES_RULES: Rule[] = [
  containerRule(
    'k8s-run-as-non-root',
    WARNING,
    'Containers run as a non-root user (Pod Security restricted).',
    'set security_context.run_as_non_root = true (pod or container) and a non-zero run_as_user the image supports',
    ['may run as root', 'may run as root'],
    ({ sc, podSc }) => {
      const nonRoot = sc.run_as_non_root ?? podSc.run_as_non_root;
      const user = sc.run_as_user ?? podSc.run_as_user;
      if (isToken(nonRoot) || isToken(user)) return undefined;
      if (user !== undefined && Number(user) === 0) return true;
      return !(isTrue(nonRoot) || Number(user) > 0);
    },
  ),
  containerRule(
    'k8s-no-privilege-escalation',
    WARNING,
    'Containers cannot gain privileges (no setuid escalation).',
    'set security_context.allow_privilege_escalation = false on every container',
    ['allows privilege escalation', 'allow privilege escalation'],
    ({ sc }) => known(sc.allow_privilege_escalation, (v) => v === false || v === 'false'),
  ),
  containerRule(
    'k8s-drop-all-capabilities',
    WARNING,
    'Containers drop all Linux capabilities (and add back only NET_BIND_SERVICE if needed).',
    'set security_context.capabilities.drop = ["ALL"] on every container',
    ['keeps Linux capabilities', 'keep Linux capabilities'],
    ({ sc }) => {
      const drop = block(sc.capabilities)?.drop;
      return known(drop, (d) => Array.isArray(d) && (d.includes('ALL') || d.some(isToken)));
    },
  ),
  containerRule(
    'k8s-seccomp',
    WARNING,
    'Containers run under the RuntimeDefault (or a Localhost) seccomp profile.',
    'set security_context.seccomp_profile.type = "RuntimeDefault" on the pod',
    ['runs without a seccomp profile', 'run without a seccomp profile'],
    ({ sc, podSc }) => {
      const type = block(sc.seccomp_profile)?.type ?? block(podSc.seccomp_profile)?.type;
      return known(type, (t) => t === 'RuntimeDefault' || t === 'Localhost');
    },
  ),
  containerRule(
    'k8s-read-only-root-fs',
    WARNING,
    'Containers have a read-only root filesystem; what they write goes to an emptyDir or a volume.',
    'set security_context.read_only_root_filesystem = true and mount an emptyDir where the process writes (/tmp, caches)',
    ['has a writable root filesystem', 'have a writable root filesystem'],
    ({ sc }) => known(sc.read_only_root_filesystem, isTrue),
  ),
  containerRule(
    'k8s-not-privileged',
    ERROR,
    'No container runs privileged (full access to the node).',
    'remove security_context.privileged, or suppress with the reason the workload needs the host (a device plugin)',
    ['runs privileged', 'run privileged'],
    ({ sc }) => (isToken(sc.privileged) ? undefined : isTrue(sc.privileged)),
  ),
  {
    id: 'k8s-no-host-path',
    level: ERROR,
    resourceTypes: WORKLOAD_TYPES,
    description: 'Pods mount no hostPath volume (node files: kubelet credentials, container runtime socket).',
    fix: 'use an emptyDir, a ConfigMap/Secret or a PersistentVolumeClaim, or suppress with the reason (a device plugin socket)',
    check: (r) => {
      const pod = podSpec(r);
      const names = blocks(pod?.volume)
        .filter((v) => v.host_path !== undefined)
        .map((v) => `'${v.name}'`);
      return names.length ? `mounts hostPath volume${names.length > 1 ? 's' : ''} ${names.join(', ')}` : undefined;
    },
  },
  {
    id: 'k8s-no-host-namespaces',
    level: ERROR,
    resourceTypes: WORKLOAD_TYPES,
    description: "Pods do not share the node's network, PID or IPC namespace.",
    fix: 'remove host_network, host_pid and host_ipc, or suppress with the reason the workload needs them',
    check: (r) => {
      const pod = podSpec(r);
      const shared = ['host_network', 'host_pid', 'host_ipc'].filter((k) => pod && isTrue(pod[k]));
      return shared.length ? `sets ${shared.join(', ')}` : undefined;
    },
  },
  {
    id: 'k8s-pod-security-enforce',
    level: WARNING,
    resourceTypes: NAMESPACE_TYPES,
    description:
      'Every namespace enforces a Pod Security level (restricted, or baseline with a reason); privileged only where a DaemonSet needs the host.',
    fix: 'label the namespace pod-security.kubernetes.io/enforce = "restricted" (PodSecurityLevel), or suppress with the reason it must be privileged',
    check: ({ config }) => {
      const labels = block(config.metadata)?.labels;
      if (isToken(labels)) return undefined;
      const level = (labels ?? {})['pod-security.kubernetes.io/enforce'];
      if (isToken(level) || (level !== undefined && !podSecurityNeedsReason(level))) return undefined;
      return level === undefined ? 'has no pod-security.kubernetes.io/enforce label' : `enforces Pod Security '${level}'`;
    },
  },
  defaultDenyRule('Ingress', ERROR),
  defaultDenyRule('Egress', WARNING),
  {
    id: 'helm-literal-secret',
    level: ERROR,
    resourceTypes: ['helm_release'],
    description: 'Helm values carry no literal secret: it would sit in the plan, the state and the release history.',
    fix: 'put the secret in a Kubernetes Secret and point the chart at it (existingSecret), or pass a sensitive value through set_sensitive',
    check: ({ config }) => {
      const found: string[] = [];
      for (const doc of Array.isArray(config.values) ? config.values : []) if (typeof doc === 'string') found.push(...literalSecrets(doc));
      for (const s of blocks(config.set)) {
        const name = typeof s.name === 'string' ? (s.name.split('.').pop() ?? '') : '';
        if (
          SECRET_KEY.test(name) &&
          !REFERENCE_KEY.test(name) &&
          typeof s.value === 'string' &&
          s.value &&
          !s.value.includes('${') &&
          !isToken(s.value)
        )
          found.push(`set '${s.name}'`);
      }
      return found.length ? `values hold literal secrets: ${[...new Set(found)].join(', ')}` : undefined;
    },
  },
];

/**
 * Self-contained checks of synthesized Terraform JSON for the conformance tool's fuzzer classes
 * (`k8s-label`, `k8s-name`, `eks-name`, `empty-id`, `iam-name`, `aks-pool-value`, `azure-name`, `aws-tag`,
 * `azure-tag-key`, `launch-template-name`, `eks-scaling-range`): what the cloud or Kubernetes API would
 * reject at apply. Kept in the suite so CI needs nothing beside the project.
 */

// The API server's rules, written here independently of lib/private/naming so a wrong rule there fails tests.
/** RFC 1123 label. */
export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
/** RFC 1035 label (Service names). */
export const DNS_1035 = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;
/** RFC 1123 subdomain. */
export const DNS_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** A label key's name part, and a non-empty label value. */
export const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const AWS_TAG_CHARS = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;

/** A literal string (no Terraform template inside). */
const lit = (v: unknown): v is string => typeof v === 'string' && !v.includes('${') && !v.includes('%{');
const isObj = (v: unknown): v is { [k: string]: any } => typeof v === 'object' && v !== null && !Array.isArray(v);
const asList = (v: unknown): any[] => (Array.isArray(v) ? v : v === undefined || v === null ? [] : [v]);
const first = (v: unknown): any => asList(v)[0];

function badLabelKey(k: string): string | undefined {
  const i = k.lastIndexOf('/');
  const [prefix, name] = i >= 0 ? [k.slice(0, i), k.slice(i + 1)] : [undefined, k];
  if (!LABEL_NAME.test(name)) return `name part '${name}' is not 1-63 [A-Za-z0-9-_.] alphanumeric at both ends`;
  if (prefix !== undefined && !DNS_SUBDOMAIN.test(prefix)) return `prefix '${prefix}' is not a DNS subdomain`;
  return undefined;
}

/** Every violation in one synthesized stack, as `<class> <address>: <what>`. */
export function deployabilityViolations(doc: any): string[] {
  const out: string[] = [];
  const res: { [type: string]: { [name: string]: any } } = doc.resource ?? {};
  const each = (type: string | RegExp, fn: (a: string, r: any, t: string) => void) => {
    for (const [t, group] of Object.entries(res)) {
      if (typeof type === 'string' ? t !== type : !type.test(t)) continue;
      for (const [n, r] of Object.entries(group ?? {})) if (isObj(r)) fn(`${t}.${n}`, r, t);
    }
  };
  const labels = (a: string, m: unknown) => {
    if (!isObj(m)) return;
    for (const [k, v] of Object.entries(m)) {
      if (!lit(k)) continue;
      const kb = badLabelKey(k);
      if (kb) out.push(`k8s-label ${a}: key '${k}': ${kb}`);
      if (lit(v) && v !== '' && !LABEL_NAME.test(v)) out.push(`k8s-label ${a}: '${k}' = '${v}' is not a label value`);
    }
  };
  const tags = (a: string, t: string, m: unknown) => {
    if (!isObj(m)) return;
    for (const [k, v] of Object.entries(m)) {
      if (!lit(k)) continue;
      if (t.startsWith('azurerm_')) {
        if (/[<>%&\\?/]/.test(k) || k.length > 512 || k === '') out.push(`azure-tag-key ${a}: key '${k}'`);
        if (lit(v) && v.length > 256) out.push(`azure-tag-key ${a}: value of '${k}' has ${v.length} characters`);
      } else {
        if (/^aws:/i.test(k) || k.length > 128 || k === '') out.push(`aws-tag ${a}: key '${k}'`);
        if (lit(v) && v.length > 256) out.push(`aws-tag ${a}: value of '${k}' has ${v.length} characters`);
        if (/^aws_(iam|cloudwatch_log)_/.test(t) && (!AWS_TAG_CHARS.test(k) || (lit(v) && !AWS_TAG_CHARS.test(v))))
          out.push(`aws-tag ${a}: '${k}'='${v}' has characters IAM / CloudWatch Logs reject`);
      }
    }
  };

  each(/^(aws|azurerm)_/, (a, r, t) => {
    tags(a, t, r.tags);
    if (t.startsWith('azurerm_')) asList(r.default_node_pool).forEach((p) => isObj(p) && tags(`${a}.default_node_pool`, t, p.tags));
  });
  each('aws_eks_node_group', (a, r) => {
    labels(a, r.labels);
    if (lit(r.node_group_name) && !/^[0-9A-Za-z][A-Za-z0-9_-]{0,62}$/.test(r.node_group_name))
      out.push(`eks-name ${a}: node_group_name '${r.node_group_name}'`);
    const sc = first(r.scaling_config) ?? {};
    for (const k of ['min_size', 'desired_size', 'max_size']) {
      const v = sc[k];
      if (v !== undefined && typeof v === 'number' && !(Number.isInteger(v) && v >= 0)) out.push(`eks-scaling-range ${a}: ${k} ${v}`);
    }
    if (sc.max_size === 0) out.push(`eks-scaling-range ${a}: max_size 0`);
    if (asList(r.subnet_ids).includes('')) out.push(`empty-id ${a}: subnet_ids has ''`);
  });
  each('aws_eks_cluster', (a, r) => {
    if (lit(r.name) && !/^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$/.test(r.name)) out.push(`eks-name ${a}: name '${r.name}'`);
    if (asList(first(r.vpc_config)?.subnet_ids).includes('')) out.push(`empty-id ${a}: subnet_ids has ''`);
  });
  each(/^aws_(db_subnet_group|elasticache_subnet_group|efs_mount_target|vpc_endpoint)$/, (a, r) => {
    if ([...asList(r.subnet_ids), r.subnet_id].includes('')) out.push(`empty-id ${a}: subnet id ''`);
  });
  each('aws_launch_template', (a, r) => {
    for (const [k, min, max] of [
      ['name_prefix', 3, 99],
      ['name', 3, 125],
    ] as const) {
      const v = r[k];
      if (!lit(v)) continue;
      if (v.length < min || v.length > max || !/^[0-9A-Za-z()./_-]+$/.test(v)) out.push(`launch-template-name ${a}: ${k} '${v}'`);
    }
  });
  const roles = new Map<string, string>();
  each('aws_iam_role', (a, r) => {
    if (!lit(r.name)) return;
    if (!/^[\w+=,.@-]{1,64}$/.test(r.name)) out.push(`iam-name ${a}: '${r.name}'`);
    if (roles.has(r.name)) out.push(`iam-name ${a}: '${r.name}' also used by ${roles.get(r.name)}`);
    roles.set(r.name, a);
  });
  each('aws_eks_pod_identity_association', (a, r) => {
    if (lit(r.namespace) && !DNS_LABEL.test(r.namespace)) out.push(`k8s-name ${a}: namespace '${r.namespace}'`);
    if (lit(r.service_account) && !DNS_SUBDOMAIN.test(r.service_account)) out.push(`k8s-name ${a}: service_account '${r.service_account}'`);
  });
  each('aws_eks_access_entry', (a, r) => {
    if (lit(r.principal_arn) && !/^arn:aws[a-z-]*:(iam|sts)::\d{12}:/.test(r.principal_arn))
      out.push(`eks-access-entry-arn ${a}: '${r.principal_arn}'`);
  });
  each(/^azurerm_kubernetes_cluster(_node_pool)?$/, (a, r, t) => {
    const pools = t === 'azurerm_kubernetes_cluster' ? asList(r.default_node_pool) : [r];
    for (const p of pools) {
      if (!isObj(p)) continue;
      labels(a, p.node_labels);
      if (typeof p.os_disk_size_gb === 'number' && (p.os_disk_size_gb < 30 || p.os_disk_size_gb > 2048))
        out.push(`aks-pool-value ${a}: os_disk_size_gb ${p.os_disk_size_gb}`);
      if (typeof p.max_count === 'number' && p.max_count > 1000) out.push(`aks-pool-value ${a}: max_count ${p.max_count}`);
      if (lit(p.name) && !/^[a-z][a-z0-9]{0,11}$/.test(p.name)) out.push(`aks-pool-value ${a}: name '${p.name}'`);
    }
    if (t === 'azurerm_kubernetes_cluster' && lit(r.name) && !/^[A-Za-z0-9]([A-Za-z0-9_-]{0,61}[A-Za-z0-9])?$/.test(r.name))
      out.push(`azure-name ${a}: cluster name '${r.name}'`);
  });
  each('azurerm_federated_identity_credential', (a, r) => {
    if (lit(r.name) && !/^[A-Za-z0-9][A-Za-z0-9_-]{2,119}$/.test(r.name)) out.push(`azure-name ${a}: '${r.name}'`);
    const m = lit(r.subject) ? /^system:serviceaccount:([^:]*):(.*)$/.exec(r.subject) : null;
    if (m && !(DNS_LABEL.test(m[1]) && DNS_SUBDOMAIN.test(m[2]))) out.push(`k8s-name ${a}: subject '${r.subject}'`);
  });
  each('azurerm_user_assigned_identity', (a, r) => {
    if (lit(r.name) && !/^[A-Za-z0-9][A-Za-z0-9_-]{2,127}$/.test(r.name)) out.push(`azure-name ${a}: '${r.name}'`);
  });
  each(/^azurerm_/, (a, r, t) => {
    const rg = t === 'azurerm_resource_group' ? r.name : r.resource_group_name;
    if (lit(rg) && (!/^[-\p{L}\p{N}_.()]{1,90}$/u.test(rg) || rg.endsWith('.'))) out.push(`azure-name ${a}: resource group '${rg}'`);
  });
  each(/^kubernetes_/, (a, r, t) => {
    const md = first(r.metadata);
    if (!isObj(md)) return;
    labels(a, md.labels);
    if (/^kubernetes_(labels|annotations|env|node_taint|default_service_account|config_map_v1_data|secret_v1_data)/.test(t)) return;
    if (lit(md.namespace) && !DNS_LABEL.test(md.namespace)) out.push(`k8s-name ${a}: namespace '${md.namespace}'`);
    if (!lit(md.name)) return;
    const rule = /^kubernetes_namespace/.test(t) ? DNS_LABEL : /^kubernetes_service(_v1)?$/.test(t) ? DNS_1035 : DNS_SUBDOMAIN;
    if (!rule.test(md.name)) out.push(`k8s-name ${a}: name '${md.name}'`);
  });
  each('kubernetes_manifest', (a, r) => {
    const md = r.manifest?.metadata;
    if (!isObj(md)) return;
    labels(a, md.labels);
    if (lit(md.name) && !DNS_SUBDOMAIN.test(md.name)) out.push(`k8s-name ${a}: name '${md.name}'`);
    if (lit(md.namespace) && !DNS_LABEL.test(md.namespace)) out.push(`k8s-name ${a}: namespace '${md.namespace}'`);
  });
  each('helm_release', (a, r) => {
    if (lit(r.namespace) && !DNS_LABEL.test(r.namespace)) out.push(`k8s-name ${a}: namespace '${r.namespace}'`);
    // Helm release names: DNS-1123 label-like, at most 53 characters.
    if (lit(r.name) && !/^[a-z0-9]([-a-z0-9]{0,51}[a-z0-9])?$/.test(r.name)) out.push(`k8s-name ${a}: release name '${r.name}'`);
  });
  return out;
}

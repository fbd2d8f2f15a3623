import { Release } from '@cdktf/provider-helm/lib/release';
import { Testing } from 'cdktf';
import { Duration } from '../../lib/core/duration';
import { ObservabilityStack } from '../../lib/observability-stack';
import { DcgmExporterSource } from '../../lib/observability/dcgm';
import { RemoteWrite } from '../../lib/remote-write';
import { awsStack, resourceNamed, resources, synthJson } from '../helpers';
import { awsCluster, valuesOf } from './fixtures';

describe('ObservabilityStack on an EKS GpuInferenceCluster (defaults)', () => {
  const stack = awsStack();
  const cluster = awsCluster(stack);
  const obs = new ObservabilityStack(stack, 'Obs', { cluster, retention: Duration.days(15) });
  const synthesized = Testing.synth(stack, true);
  const doc = JSON.parse(synthesized);
  const kps = resourceNamed(doc, 'helm_release', 'KubePrometheusStack');
  const values = valuesOf(kps);

  test('kube-prometheus-stack pinned, in a Terraform-managed namespace, after the cluster add-ons', () => {
    expect(synthesized).toHaveResourceWithProperties(Release, {
      chart: 'kube-prometheus-stack',
      version: '88.5.3',
      repository: 'https://prometheus-community.github.io/helm-charts',
    });
    expect(kps.create_namespace).toBe(false);
    expect(kps.namespace).toBe('monitoring');
    expect(kps.depends_on).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/aws_eks_node_group\..*SystemNodes/),
        expect.stringMatching(/helm_release\..*GpuOperator/),
        expect.stringMatching(/kubernetes_namespace_v1\.Obs_Namespace/),
        expect.stringMatching(/kubernetes_secret_v1\.Obs_GrafanaAdmin/),
      ]),
    );
    const ns = resourceNamed(doc, 'kubernetes_namespace_v1', 'Obs_Namespace');
    expect(ns.metadata.name).toBe('monitoring');
    expect(ns.depends_on).toEqual(expect.arrayContaining([expect.stringMatching(/helm_release\..*GpuOperator/)]));
  });

  test('persistent Prometheus with retention by time and size, on the cluster storage class', () => {
    expect(values).toMatch(/^ {4}retention: "15d"$/m);
    expect(values).toMatch(/^ {4}retentionSize: "85GB"$/m);
    expect(values).toContain('storage: "100Gi"');
    expect(values).toContain(`storageClassName: ${cluster.storageClassName}`);
    expect(values).toContain('externalLabels:\n      cluster: ai-prod');
  });

  test('Grafana reads its admin credentials from a generated Secret; no password in the synth output', () => {
    expect(values).toContain('existingSecret: grafana-admin-credentials');
    expect(values).not.toMatch(/adminPassword/);
    const secret = resourceNamed(doc, 'kubernetes_secret_v1', 'GrafanaAdmin');
    expect(secret.data['admin-user']).toBe('admin');
    expect(secret.data['admin-password']).toMatch(/^\$\{replace\(join\("", \[uuid\(\), uuid\(\)\]\), "-", ""\)\}$/);
    expect(secret.lifecycle.ignore_changes).toEqual(['data']);
    // Every password-like field anywhere in the document is that apply-time expression.
    const found: string[] = [];
    (function walk(v: any, key: string): void {
      if (typeof v === 'string' && /password/i.test(key)) found.push(v);
      else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, k);
    })(doc, '');
    expect(found).toEqual([secret.data['admin-password']]);
    expect(synthesized).not.toMatch(/password: \S/i);
    expect(obs.grafanaAdminSecretName).toBe('grafana-admin-credentials');
  });

  test('Grafana on its ReadWriteOnce volume is recreated on upgrade, never rolled onto a second node', () => {
    expect(values).toMatch(/^grafana:\n(?: {2}.*\n)*? {2}persistence:\n {4}enabled: true\n/m);
    expect(values).toMatch(/^grafana:\n(?: {2}.*\n)*? {2}deploymentStrategy:\n {4}type: Recreate\n/m);
  });

  test('DCGM: the GPU operator exporter is scraped through a ServiceMonitor; no standalone exporter', () => {
    expect(values).toContain('additionalServiceMonitors:\n    - name: nvidia-dcgm-exporter');
    expect(values).toContain('app: nvidia-dcgm-exporter');
    expect(values).toContain('- gpu-operator');
    expect(values).toContain('port: gpu-metrics');
    expect(Object.keys(resources(doc, 'helm_release')).some((n) => n.includes('DcgmExporter'))).toBe(false);
    expect(obs.dcgmExporter).toBeUndefined();
  });

  test('vLLM pods are scraped by label in every namespace; Neuron nodes run neuron-monitor', () => {
    expect(values).toContain('ai-platform.dev/metrics: vllm');
    expect(values).toContain('any: true');
    expect(values).toContain('- name: neuron-monitor');
    const ds = resourceNamed(doc, 'kubernetes_daemon_set_v1', 'NeuronMonitor');
    // Placed by the Neuron pools' own labels (one term per pool), so pools of an existing cluster work too.
    const terms = ds.spec.template.spec.affinity.node_affinity.required_during_scheduling_ignored_during_execution.node_selector_term;
    expect(terms.length).toBeGreaterThan(0);
    for (const t of terms) expect(t.match_expressions).toContainEqual({ key: 'ai-platform.dev/role', operator: 'In', values: ['neuron'] });
    expect(ds.spec.template.spec.toleration).toContainEqual({ key: 'aws.amazon.com/neuron', operator: 'Exists', effect: 'NoSchedule' });
    expect(ds.depends_on).toEqual(expect.arrayContaining([expect.stringMatching(/kubernetes_namespace_v1/)]));
  });

  test('alert rules go through the chart values, not kubernetes_manifest', () => {
    expect(values).toContain('additionalPrometheusRulesMap:\n  ai-platform:');
    for (const a of [
      'GpuXidError',
      'GpuRowRemapFailure',
      'GpuMemoryHigh',
      'GpuTemperatureHigh',
      'DcgmExporterMissing',
      'AcceleratorNodeNotReady',
      'LlmQueueDepthHigh',
      'LlmTtftP95SloBreach',
      'NeuronExecutionErrors',
    ]) {
      expect(values).toContain(`alert: ${a}`);
    }
    expect(resources(doc, 'kubernetes_manifest')).toEqual({});
  });

  test('dashboards are ConfigMaps labelled for the Grafana sidecar, with valid JSON', () => {
    const cms = Object.values(resources(doc, 'kubernetes_config_map_v1')).filter((c: any) => c.metadata.labels?.grafana_dashboard === '1');
    expect(cms.map((c: any) => c.metadata.name).sort()).toEqual([
      'dashboard-ai-platform-gpu-cost',
      'dashboard-ai-platform-gpu-fleet',
      'dashboard-ai-platform-gpu-mig',
      'dashboard-ai-platform-llm-serving',
      'dashboard-ai-platform-neuron',
    ]);
    const uids = cms.map((c: any) => JSON.parse(Object.values(c.data)[0] as string).uid);
    expect(new Set(uids).size).toBe(5);
    expect(values).toContain('label: grafana_dashboard');
    expect(obs.dashboardUids).toHaveLength(5);
  });

  test('no remote write, no identity, no collector by default', () => {
    expect(values).toContain('remoteWrite: []');
    expect(resources(doc, 'aws_prometheus_workspace')).toEqual({});
    expect(obs.prometheusIdentity).toBeUndefined();
    expect(obs.tracesEndpoint).toBeUndefined();
  });

  test('two synths are byte-identical', () => {
    const again = awsStack();
    new ObservabilityStack(again, 'Obs', { cluster: awsCluster(again), retention: Duration.days(15) });
    expect(Testing.synth(again, true)).toBe(synthesized);
  });
});

describe('ObservabilityStack with Amazon Managed Prometheus and tracing', () => {
  const stack = awsStack();
  const obs = new ObservabilityStack(stack, 'Obs', {
    cluster: awsCluster(stack),
    remoteWrite: RemoteWrite.amazonManagedPrometheus(),
    tracing: { otlpEndpoint: 'tempo-distributor.tracing.svc:4317', insecure: true },
  });
  const doc = synthJson(stack);
  const values = valuesOf(resourceNamed(doc, 'helm_release', 'KubePrometheusStack'));

  test('a workspace, and Pod Identity for Prometheus allowed aps:RemoteWrite on it only', () => {
    const ws = resourceNamed(doc, 'aws_prometheus_workspace', 'Obs');
    expect(ws.alias).toBe('ai-prod-metrics');
    // metrics history is retained unless the user opts out
    expect(ws.lifecycle).toEqual({ prevent_destroy: true });
    const assoc = resourceNamed(doc, 'aws_eks_pod_identity_association', 'Obs');
    expect(assoc).toMatchObject({ namespace: 'monitoring', service_account: 'prometheus' });
    const policy = JSON.parse(resourceNamed(doc, 'aws_iam_role_policy', 'Obs').policy);
    expect(policy.Statement).toEqual([
      {
        Sid: 'RemoteWrite',
        Effect: 'Allow',
        Action: ['aps:RemoteWrite'],
        Resource: ['${aws_prometheus_workspace.Obs_Workspace_7C35D466.arn}'],
      },
    ]);
    expect(resourceNamed(doc, 'helm_release', 'KubePrometheusStack').depends_on).toEqual(
      expect.arrayContaining([expect.stringMatching(/aws_eks_pod_identity_association\.Obs/)]),
    );
    expect(obs.prometheusIdentity).toBeDefined();
  });

  test('SigV4 remote write to the workspace endpoint, region from its ARN', () => {
    expect(values).toContain("- url: '${aws_prometheus_workspace.Obs_Workspace_7C35D466.prometheus_endpoint}api/v1/remote_write'");
    expect(values).toContain(`region: '\${element(split(":", aws_prometheus_workspace.Obs_Workspace_7C35D466.arn), 3)}'`);
    expect(values).toContain('name: prometheus');
  });

  test('an existing workspace ARN is used as is', () => {
    const s = awsStack();
    new ObservabilityStack(s, 'Obs', {
      cluster: awsCluster(s),
      remoteWrite: RemoteWrite.amazonManagedPrometheus({ workspaceArn: 'arn:aws:aps:eu-west-1:123456789012:workspace/ws-0a1b2c' }),
    });
    const d = synthJson(s);
    expect(resources(d, 'aws_prometheus_workspace')).toEqual({});
    const v = valuesOf(resourceNamed(d, 'helm_release', 'KubePrometheusStack'));
    expect(v).toContain('url: "https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-0a1b2c/api/v1/remote_write"');
    expect(v).toContain('region: eu-west-1');
  });

  test('OpenTelemetry collector: pinned chart, OTLP in, traces forwarded, system pool', () => {
    const otel = resourceNamed(doc, 'helm_release', 'OtelCollector');
    expect(otel).toMatchObject({ chart: 'opentelemetry-collector', version: '0.170.0', create_namespace: false, namespace: 'monitoring' });
    const v = valuesOf(otel);
    expect(v).toContain('mode: deployment');
    expect(v).toContain('endpoint: "tempo-distributor.tracing.svc:4317"');
    expect(v).toContain("endpoint: '$${env:MY_POD_IP}:4317'");
    expect(v).toMatch(/zipkin:\n {4}enabled: false/);
    expect(obs.tracesEndpoint).toBe('http://otel-collector.monitoring.svc.cluster.local:4317');
  });
});

describe('ObservabilityStack on a cluster without the GPU operator', () => {
  const stack = awsStack();
  const obs = new ObservabilityStack(stack, 'Obs', { cluster: awsCluster(stack, { installGpuOperator: false, neuron: false }) });
  const doc = synthJson(stack);

  test('installs the standalone dcgm-exporter after kube-prometheus-stack (ServiceMonitor CRD)', () => {
    const dcgm = resourceNamed(doc, 'helm_release', 'DcgmExporter');
    expect(dcgm).toMatchObject({
      chart: 'dcgm-exporter',
      version: '4.8.2',
      repository: 'https://nvidia.github.io/dcgm-exporter/helm-charts',
      create_namespace: false,
    });
    expect(dcgm.depends_on).toEqual(expect.arrayContaining([expect.stringMatching(/helm_release\.Obs_KubePrometheusStack/)]));
    const v = valuesOf(dcgm);
    expect(v).toContain('serviceMonitor:\n  enabled: true');
    expect(v).toContain('key: nvidia.com/gpu');
    expect(v).toContain('- inference');
    expect(valuesOf(resourceNamed(doc, 'helm_release', 'KubePrometheusStack'))).toContain('additionalServiceMonitors: []');
    expect(obs.neuronMonitor).toBeUndefined();
  });

  test('an explicit source wins over detection', () => {
    const s = awsStack();
    new ObservabilityStack(s, 'Obs', { cluster: awsCluster(s, { installGpuOperator: false }), dcgmExporter: DcgmExporterSource.none() });
    const d = synthJson(s);
    expect(Object.keys(resources(d, 'helm_release')).some((n) => n.includes('DcgmExporter'))).toBe(false);
    expect(valuesOf(resourceNamed(d, 'helm_release', 'KubePrometheusStack'))).not.toContain('alert: GpuXidError');
  });
});

test('a throwaway environment can opt out of retaining the metrics workspace', () => {
  const stack = awsStack();
  new ObservabilityStack(stack, 'Obs', {
    cluster: awsCluster(stack),
    remoteWrite: RemoteWrite.amazonManagedPrometheus({ retainOnDestroy: false }),
  });
  expect(resourceNamed(synthJson(stack), 'aws_prometheus_workspace', 'Obs').lifecycle).toEqual({ prevent_destroy: false });
});

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { AnnotationMetadataEntryType, App } from 'cdktf';
import { AwsGpuClusterStack } from '../../examples/aws-gpu-cluster/stack';
import { PlatformNamespace, PlatformSecurityChecks, PodSecurityLevel } from '../../lib';
import { eksCluster } from '../tenancy/fixtures';
import { awsStack, resources, synthAppMerged } from '../helpers';

// A privileged platform namespace carries its reason as a suppression of the Pod Security rule, so the
// security checks accept it and the reason is in the synthesized JSON; without a reason they warn.

const warnings = (app: App): string[] =>
  app.node
    .findAll()
    .flatMap((c) => c.node.metadata.filter((m) => m.type === AnnotationMetadataEntryType.WARN).map((m) => `${c.node.path}: ${m.data}`));

function privilegedApp(reason?: string): App {
  const app = new App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'privileged-ns-')), stackTraces: false });
  const stack = awsStack('test', undefined, app);
  const cluster = eksCluster(stack);
  new PlatformNamespace(stack, 'Agents', { cluster, name: 'agents', podSecurity: PodSecurityLevel.PRIVILEGED, podSecurityReason: reason });
  PlatformSecurityChecks.applyTo(app);
  app.synth();
  return app;
}

describe('privileged platform namespaces', () => {
  test('without a reason the security checks warn', () => {
    const found = warnings(privilegedApp()).filter((w) => w.includes('k8s-pod-security-enforce'));
    expect(found).toEqual([expect.stringMatching(/Agents\/Resource: k8s-pod-security-enforce enforces Pod Security 'privileged'/)]);
  });

  test('with a reason the warning is gone', () => {
    expect(
      warnings(privilegedApp('the agents read the host file system of each node')).filter((w) => w.includes('k8s-pod-security-enforce')),
    ).toEqual([]);
  });

  test('a reason too short to explain anything is refused', () => {
    expect(() => privilegedApp('needed')).toThrow(/podSecurityReason|reason 'needed' is too short/);
  });

  test('the library states why each of its privileged namespaces is privileged, in the synthesized JSON', () => {
    const { doc } = synthAppMerged((app) => {
      new AwsGpuClusterStack(app, 'aws-gpu-cluster');
      PlatformSecurityChecks.applyTo(app);
    });
    const privileged = Object.values<any>(resources(doc, 'kubernetes_namespace_v1')).filter(
      (n) => n.metadata.labels['pod-security.kubernetes.io/enforce'] === 'privileged',
    );
    expect(privileged.map((n) => n.metadata.name).sort()).toEqual(['gpu-operator', 'monitoring-node-agents', 'neuron-healthcheck-system']);
    for (const n of privileged) {
      const s = (n['//']?.security_suppressions ?? []).find((x: any) => x.rule === 'k8s-pod-security-enforce');
      expect(s?.reason?.length).toBeGreaterThanOrEqual(20);
    }
  });
});

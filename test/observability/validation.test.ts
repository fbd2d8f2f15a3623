import { Construct } from 'constructs';
import { Duration } from '../../lib/core/duration';
import { ObservabilityStack, ObservabilityStackProps } from '../../lib/observability-stack';
import { DcgmExporterSource } from '../../lib/observability/dcgm';
import { RemoteWrite } from '../../lib/remote-write';
import { awsStack, synthJson } from '../helpers';
import { awsCluster } from './fixtures';

/** Builds the stack (constructors must not throw on bad input); the returned synth reports the problems. */
function make(props: Omit<ObservabilityStackProps, 'cluster'>, clusterOptions: { installGpuOperator?: boolean } = {}) {
  const stack = awsStack();
  const cluster = awsCluster(stack, clusterOptions);
  new ObservabilityStack(new Construct(stack, 'Platform'), 'Obs', { cluster, ...props });
  return () => synthJson(stack);
}

describe('ObservabilityStack validation', () => {
  test.each<[string, Omit<ObservabilityStackProps, 'cluster'>, RegExp]>([
    [
      'retention too short',
      { retention: Duration.minutes(30) },
      /^test\/Platform\/Obs: retention '30m' is outside 2h\.\.3650d; pass e\.g\. Duration\.days\(15\)/m,
    ],
    ['storage too small', { storageSizeGib: 5 }, /Obs: storageSizeGib 5 is not an integer in 10\.\.16384; pass e\.g\. 100/],
    ['fractional storage', { storageSizeGib: 50.5 }, /storageSizeGib 50\.5 is not an integer/],
    ['grafana storage', { grafana: { storageSizeGib: 0 } }, /grafana\.storageSizeGib 0 is not an integer in 1\.\.1024/],
    ['grafana user', { grafana: { adminUser: 'ad min' } }, /grafana\.adminUser 'ad min' is not 1-64 letters/],
    ['namespace', { namespace: 'Monitoring_NS' }, /namespace 'Monitoring_NS' is not a DNS-1123 label; use lowercase/],
    ['storage class', { storageClassName: 'GP3!' }, /storageClassName 'GP3!' is not a valid StorageClass name/],
    ['TTFT SLO', { alertThresholds: { ttftP95: Duration.minutes(20) } }, /alertThresholds\.ttftP95 '20m' is outside 10ms\.\.10m/],
    ['queue depth', { alertThresholds: { queueDepth: 0 } }, /alertThresholds\.queueDepth 0 is not a positive integer/],
    ['GPU memory', { alertThresholds: { gpuMemoryPercent: 120 } }, /alertThresholds\.gpuMemoryPercent 120 is not between 0 and 100/],
    [
      'GPU temperature',
      { alertThresholds: { gpuTemperatureCelsius: 200 } },
      /alertThresholds\.gpuTemperatureCelsius 200 is outside 40\.\.110/,
    ],
    [
      'workspace ARN',
      { remoteWrite: RemoteWrite.amazonManagedPrometheus({ workspaceArn: 'ws-123' }) },
      /remoteWrite\.workspaceArn 'ws-123' is not an AMP workspace ARN; pass arn:aws:aps/,
    ],
    [
      'alias with an existing workspace',
      {
        remoteWrite: RemoteWrite.amazonManagedPrometheus({ workspaceArn: 'arn:aws:aps:us-east-1:123456789012:workspace/ws-1', alias: 'x' }),
      },
      /remoteWrite\.alias\/kmsKeyArn\/retainOnDestroy 'x' only apply to a new workspace/,
    ],
    ['tracing endpoint', { tracing: { otlpEndpoint: 'not a url' } }, /tracing\.otlpEndpoint 'not a url' is not host:port/],
    [
      'plain http without insecure',
      { tracing: { otlpEndpoint: 'http://tempo:4317' } },
      /tracing\.otlpEndpoint 'http:\/\/tempo:4317' is plain http while insecure is false/,
    ],
    ['tracing replicas', { tracing: { otlpEndpoint: 'tempo:4317', replicas: 0 } }, /tracing\.replicas 0 is outside 1\.\.10/],
    [
      'standalone DCGM beside the operator',
      { dcgmExporter: DcgmExporterSource.standalone() },
      /dcgmExporter 'standalone' while the GPU operator already runs a DCGM exporter in 'gpu-operator'/,
    ],
    [
      'operator namespace',
      { dcgmExporter: DcgmExporterSource.gpuOperator('GPU Operator') },
      /dcgmExporter\.operatorNamespace 'GPU Operator' is not a DNS-1123 label/,
    ],
  ])('%s', (_name, props, message) => {
    expect(make(props)).toThrow(message);
  });

  test('the fixture itself synthesizes', () => {
    expect(make({})).not.toThrow();
  });

  test('all problems are reported at once', () => {
    expect(make({ storageSizeGib: 1, namespace: 'X' })).toThrow(
      /^2 problems in the cdktf-ai-platform constructs; fix them all, then synthesize again:\ntest\/Platform\/Obs: storageSizeGib 1[^\n]*\ntest\/Platform\/Obs: namespace 'X'[^\n]*$/,
    );
  });
});

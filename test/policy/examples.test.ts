import { AnnotationMetadataEntryType, App } from 'cdktf';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { AwsGpuClusterStack } from '../../examples/aws-gpu-cluster/stack';
import { AzureGpuClusterStack } from '../../examples/azure-gpu-cluster/stack';
import { ExistingClusterStack } from '../../examples/existing-cluster/stack';
import { FeatureStoreAwsStack, FeatureStoreAzureStack } from '../../examples/feature-store/stack';
import { KarpenterGpuStack } from '../../examples/karpenter-gpu/stack';
import { MinimalStack } from '../../examples/minimal/stack';
import { MultiCloudAwsStack, MultiCloudAzureStack } from '../../examples/multi-cloud/stack';
import { MultiTenantAwsStack, MultiTenantAzureStack } from '../../examples/multi-tenant/stack';
import { PrivateClusterStacks } from '../../examples/private-cluster/stack';
import { RagAwsStack } from '../../examples/rag-aws/stack';
import { RagAzureStack } from '../../examples/rag-azure/stack';
import { PlatformSecurityChecks } from '../../lib';

const EXAMPLES: [string, (app: App) => unknown][] = [
  ['aws-gpu-cluster', (app) => new AwsGpuClusterStack(app, 'aws-gpu-cluster')],
  ['minimal', (app) => new MinimalStack(app, 'minimal')],
  ['karpenter-gpu', (app) => new KarpenterGpuStack(app, 'karpenter-gpu')],
  ['azure-gpu-cluster', (app) => new AzureGpuClusterStack(app, 'azure-gpu-cluster')],
  ['multi-cloud', (app) => [new MultiCloudAwsStack(app, 'multi-cloud-aws'), new MultiCloudAzureStack(app, 'multi-cloud-azure')]],
  ['private-cluster', (app) => new PrivateClusterStacks(app, 'private-cluster')],
  ['existing-cluster', (app) => new ExistingClusterStack(app, 'existing-cluster')],
  ['rag-aws', (app) => new RagAwsStack(app, 'rag-aws')],
  ['rag-azure', (app) => new RagAzureStack(app, 'rag-azure')],
  ['feature-store', (app) => [new FeatureStoreAwsStack(app, 'feature-store-aws'), new FeatureStoreAzureStack(app, 'feature-store-azure')]],
  ['multi-tenant', (app) => [new MultiTenantAwsStack(app, 'multi-tenant-aws'), new MultiTenantAzureStack(app, 'multi-tenant-azure')]],
];

describe('the examples pass the security checks', () => {
  test.each(EXAMPLES)('%s: no error and no warning', (_name, make) => {
    const app = new App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'policy-example-')), stackTraces: false });
    make(app);
    PlatformSecurityChecks.applyTo(app);
    // Throws, listing them, on any error annotation.
    app.synth();
    const annotations = app.node
      .findAll()
      .flatMap((c) => c.node.metadata.filter((m) => m.type === AnnotationMetadataEntryType.WARN).map((m) => `${c.node.path}: ${m.data}`));
    const policyWarnings = annotations.filter(
      (a) => /^\S+: [a-z0-9]+(-[a-z0-9]+)+ /.test(a) && PlatformSecurityChecks.rules.some((r) => a.includes(`: ${r.id} `)),
    );
    expect(policyWarnings).toEqual([]);
    fs.rmSync(app.outdir, { recursive: true, force: true });
  });
});

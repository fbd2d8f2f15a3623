import { App } from 'cdktf';
import { AwsGpuClusterStack } from './aws-gpu-cluster/stack';
import { AzureGpuClusterStack } from './azure-gpu-cluster/stack';
import { ExistingClusterStack } from './existing-cluster/stack';
import { FeatureStoreAwsStack, FeatureStoreAzureStack } from './feature-store/stack';
import { MinimalStack } from './minimal/stack';
import { MultiCloudAwsStack, MultiCloudAzureStack } from './multi-cloud/stack';
import { MultiTenantAwsStack, MultiTenantAzureStack } from './multi-tenant/stack';
import { PrivateClusterStacks } from './private-cluster/stack';
import { RagAwsStack } from './rag-aws/stack';
import { RagAzureStack } from './rag-azure/stack';

// One app, one stack per example: `npx cdktf synth` writes cdktf.out/stacks/<stack>/cdk.tf.json.
const app = new App();
new AwsGpuClusterStack(app, 'aws-gpu-cluster');
new MinimalStack(app, 'minimal');
new AzureGpuClusterStack(app, 'azure-gpu-cluster');
new MultiCloudAwsStack(app, 'multi-cloud-aws');
new MultiCloudAzureStack(app, 'multi-cloud-azure');
new PrivateClusterStacks(app, 'private-cluster');
new ExistingClusterStack(app, 'existing-cluster');
new RagAwsStack(app, 'rag-aws');
new RagAzureStack(app, 'rag-azure');
new FeatureStoreAwsStack(app, 'feature-store-aws');
new FeatureStoreAzureStack(app, 'feature-store-azure');
new MultiTenantAwsStack(app, 'multi-tenant-aws');
new MultiTenantAzureStack(app, 'multi-tenant-azure');
app.synth();

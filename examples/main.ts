import { App } from 'cdktf';
import { AwsGpuClusterStack } from './aws-gpu-cluster/stack';
import { MinimalStack } from './minimal/stack';

// One app, one stack per example: `npx cdktf synth` writes cdktf.out/stacks/<stack>/cdk.tf.json.
const app = new App();
new AwsGpuClusterStack(app, 'aws-gpu-cluster');
new MinimalStack(app, 'minimal');
app.synth();

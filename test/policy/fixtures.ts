import { EksCluster } from '@cdktf/provider-aws/lib/eks-cluster';
import { LaunchTemplate } from '@cdktf/provider-aws/lib/launch-template';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { AzurermProvider } from '@cdktf/provider-azurerm/lib/provider';
import { HelmProvider } from '@cdktf/provider-helm/lib/provider';
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { App, AnnotationMetadataEntryType, Aspects, TerraformStack, Testing } from 'cdktf';
import { Construct, IConstruct } from 'constructs';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { PlatformSecurityChecks } from '../../lib';

/** An app writing to a temporary directory. */
export function newApp(): App {
  return new App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'policy-')), stackTraces: false });
}

/** A stack with the providers of every resource the tests create. */
export function newStack(app: App, id: string): TerraformStack {
  const stack = new TerraformStack(app, id);
  new AwsProvider(stack, 'aws', { region: 'us-east-1' });
  new AzurermProvider(stack, 'azurerm', { features: [{}] });
  new KubernetesProvider(stack, 'kubernetes', {});
  new HelmProvider(stack, 'helm', {});
  return stack;
}

/** A stack in an app of its own, checked by the security checks (added to the stack, as users do). */
export function checkedStack(): { app: App; stack: TerraformStack } {
  const app = newApp();
  const stack = newStack(app, 'test');
  Aspects.of(stack).add(new PlatformSecurityChecks());
  return { app, stack };
}

/** An EKS cluster that breaks no rule: KMS secrets, allow-listed public endpoint, audit logs. */
export function compliantEksCluster(scope: Construct, id = 'Cluster'): EksCluster {
  return new EksCluster(scope, id, {
    name: 'prod',
    roleArn: 'arn:aws:iam::111122223333:role/eks',
    vpcConfig: { subnetIds: ['subnet-1'], endpointPublicAccess: true, publicAccessCidrs: ['203.0.113.0/24'] },
    encryptionConfig: { resources: ['secrets'], provider: { keyArn: 'arn:aws:kms:us-east-1:111122223333:key/1' } },
    enabledClusterLogTypes: ['api', 'audit', 'authenticator'],
  });
}

/** A launch template that breaks no rule: IMDSv2 required, hop limit 1. */
export function compliantLaunchTemplate(scope: Construct, id = 'Nodes'): LaunchTemplate {
  return new LaunchTemplate(scope, id, { metadataOptions: { httpTokens: 'required', httpPutResponseHopLimit: 1 } });
}

/** The annotations the checks left, as `<LEVEL> [<construct path>] <message>` lines, sorted. */
export function findings(stack: TerraformStack): string[] {
  Testing.synth(stack, true);
  const levels: { [type: string]: string } = {
    [AnnotationMetadataEntryType.ERROR]: 'ERROR',
    [AnnotationMetadataEntryType.WARN]: 'WARN',
  };
  return stack.node
    .findAll()
    .flatMap((c: IConstruct) => c.node.metadata.filter((m) => levels[m.type]).map((m) => `${levels[m.type]} [${c.node.path}] ${m.data}`))
    .sort();
}

/** The ids of the rules that fired, with their level and path. */
export function fired(stack: TerraformStack): string[] {
  return findings(stack)
    .map((f) => f.replace(/^(\w+) \[([^\]]+)\] (\S+) .*$/, '$1 $3 $2'))
    .sort();
}

/** Full synth, as `cdktf synth` runs the app; returns the stack's cdk.tf.json. */
export function synthStack(app: App, stack = 'test'): any {
  app.synth();
  return JSON.parse(fs.readFileSync(path.join(app.outdir, 'stacks', stack, 'cdk.tf.json'), 'utf8'));
}

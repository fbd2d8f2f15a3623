import { EksCluster } from '@cdktf/provider-aws/lib/eks-cluster';
import { LaunchTemplate } from '@cdktf/provider-aws/lib/launch-template';
import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';
import { S3BucketPublicAccessBlock } from '@cdktf/provider-aws/lib/s3-bucket-public-access-block';
import { S3BucketServerSideEncryptionConfigurationA } from '@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration';
import { Aspects, TerraformVariable, Testing } from 'cdktf';
import { Construct } from 'constructs';
import { PlatformSecurityChecks, SecurityRuleLevel, SecuritySuppressions } from '../../lib';
import { problemLines } from '../helpers';
import { checkedStack, compliantEksCluster, compliantLaunchTemplate, findings, fired, newApp, newStack, synthStack } from './fixtures';

const SECRETS_MESSAGE =
  'eks-secrets-encryption encryption_config is not set: Secrets are stored with the AWS-owned key only; set encryption_config { resources = ["secrets"], provider { key_arn = <KMS key ARN> } } (EksPlatformCluster does by default)';

/** A cluster that breaks only eks-secrets-encryption. */
function unencryptedCluster(scope: Construct): EksCluster {
  const cluster = compliantEksCluster(scope);
  cluster.resetEncryptionConfig();
  return cluster;
}

describe('PlatformSecurityChecks', () => {
  test('a stack that breaks an error rule fails synth with the rule id, the problem and the fix', () => {
    const { app, stack } = checkedStack();
    unencryptedCluster(stack);
    expect(() => app.synth()).toThrow(`Encountered Annotations with level "ERROR":\n[test/Cluster] ${SECRETS_MESSAGE}`);
  });

  test('the same stack synthesizes with a suppression and its reason, recorded in cdk.tf.json for audit', () => {
    const { app, stack } = checkedStack();
    const cluster = unencryptedCluster(stack);
    const reason = 'Sandbox cluster without Secrets; tracked in SEC-42 until the KMS key lands';
    SecuritySuppressions.addSuppressions(cluster, [{ id: 'eks-secrets-encryption', reason }]);
    expect(findings(stack)).toEqual([]);
    const doc = synthStack(app);
    const [resource] = Object.values<any>(doc.resource.aws_eks_cluster);
    expect(resource['//'].security_suppressions).toEqual([{ rule: 'eks-secrets-encryption', reason, declared_at: 'test/Cluster' }]);
  });

  test('a suppression on an enclosing construct covers the resources under it', () => {
    const { stack } = checkedStack();
    const team = new Construct(stack, 'Team');
    unencryptedCluster(team);
    SecuritySuppressions.addSuppressions(team, [
      { id: 'eks-secrets-encryption', reason: 'Sandbox clusters of the team hold no Secrets at all' },
    ]);
    expect(findings(stack)).toEqual([]);
  });

  test.each([
    ['', "suppressions[0].reason '' is missing for rule 'eks-secrets-encryption'"],
    ['ok', "suppressions[0].reason 'ok' is too short for rule 'eks-secrets-encryption'"],
    ['   padded       ', "suppressions[0].reason '   padded       ' is too short for rule 'eks-secrets-encryption'"],
  ])('a suppression with reason %j is rejected at synth and does not suppress', (reason, problem) => {
    const { stack } = checkedStack();
    const cluster = unencryptedCluster(stack);
    SecuritySuppressions.addSuppressions(cluster, [{ id: 'eks-secrets-encryption', reason }]);
    expect(problemLines(stack)).toEqual([
      `test/Cluster: ${problem}; write in at least 20 characters why the rule does not apply here or what compensates for it`,
    ]);
    expect(SecuritySuppressions.of(cluster)).toEqual([]);
  });

  test('a suppression without a rule id is rejected', () => {
    const { stack } = checkedStack();
    SecuritySuppressions.addSuppressions(stack, [{ id: ' ', reason: 'A reason long enough to be accepted' }]);
    expect(problemLines(stack)).toEqual(["test: suppressions[0].id ' ' is empty; name the rule to suppress, e.g. 'k8s-no-host-path'"]);
  });

  test('an unused suppression and one naming no rule are reported as warnings', () => {
    const { stack } = checkedStack();
    const cluster = compliantEksCluster(stack);
    SecuritySuppressions.addSuppressions(cluster, [
      { id: 'eks-secrets-encryption', reason: 'Kept from before the KMS key existed' },
      { id: 'eks-secret-encryption', reason: 'A typo of the rule id, which must not pass silently' },
    ]);
    expect(findings(stack)).toEqual([
      'WARN [test/Cluster] eks-secret-encryption suppression names no rule of PlatformSecurityChecks; use one of the ids in PlatformSecurityChecks.rules',
      'WARN [test/Cluster] eks-secrets-encryption suppression is unused: no resource under this construct breaks the rule; remove the suppression',
    ]);
  });

  describe('escape hatches: the configuration Terraform receives is checked', () => {
    test('an override that removes a block is caught', () => {
      const { stack } = checkedStack();
      compliantEksCluster(stack).addOverride('encryption_config', undefined);
      expect(findings(stack)).toEqual([`ERROR [test/Cluster] ${SECRETS_MESSAGE}`]);
    });

    test('an override that opens the endpoint is caught (cdktf appends override lists)', () => {
      const { stack } = checkedStack();
      compliantEksCluster(stack).addOverride('vpc_config.public_access_cidrs', ['0.0.0.0/0']);
      expect(fired(stack)).toEqual(['ERROR eks-public-endpoint-allowlist test/Cluster']);
      // What Terraform receives: the override was merged into the list, not put in its place.
      const doc = JSON.parse(Testing.synth(stack));
      expect(Object.values<any>(doc.resource.aws_eks_cluster)[0].vpc_config.public_access_cidrs).toEqual(['203.0.113.0/24', '0.0.0.0/0']);
    });

    test('an override that weakens a launch template is caught, and one that fixes it is honoured', () => {
      const { stack } = checkedStack();
      compliantLaunchTemplate(stack, 'Weakened').addOverride('metadata_options.http_tokens', 'optional');
      const fixed = new LaunchTemplate(stack, 'Fixed', { metadataOptions: { httpTokens: 'optional', httpPutResponseHopLimit: 1 } });
      fixed.addOverride('metadata_options.http_tokens', 'required');
      expect(fired(stack)).toEqual(['ERROR ec2-imdsv2 test/Weakened']);
    });
  });

  describe('tokens are never violations', () => {
    test('values only known at apply are not flagged', () => {
      const { stack } = checkedStack();
      const cidrs = new TerraformVariable(stack, 'cidrs', { type: 'list(string)' });
      const publicAccess = new TerraformVariable(stack, 'public', { type: 'bool' });
      const hop = new TerraformVariable(stack, 'hop', { type: 'number' });
      const cluster = compliantEksCluster(stack);
      cluster.putVpcConfig({
        subnetIds: ['subnet-1'],
        endpointPublicAccess: publicAccess.booleanValue,
        publicAccessCidrs: cidrs.listValue,
      });
      new LaunchTemplate(stack, 'Nodes', { metadataOptions: { httpTokens: 'required', httpPutResponseHopLimit: hop.numberValue } });
      expect(findings(stack)).toEqual([]);
    });

    test('a literal in the same place is flagged', () => {
      const { stack } = checkedStack();
      compliantEksCluster(stack).putVpcConfig({ subnetIds: ['subnet-1'], endpointPublicAccess: true, publicAccessCidrs: ['0.0.0.0/0'] });
      new LaunchTemplate(stack, 'Nodes', { metadataOptions: { httpTokens: 'required', httpPutResponseHopLimit: 2 } });
      expect(fired(stack)).toEqual(['ERROR eks-public-endpoint-allowlist test/Cluster', 'WARN ec2-imds-hop-limit test/Nodes']);
    });
  });

  test('a warning is printed and synth goes on; an error fails it', () => {
    const warned = checkedStack();
    new LaunchTemplate(warned.stack, 'Nodes', { metadataOptions: { httpTokens: 'required', httpPutResponseHopLimit: 2 } });
    expect(findings(warned.stack)).toEqual([
      "WARN [test/Nodes] ec2-imds-hop-limit metadata_options.http_put_response_hop_limit '2' lets pods reach the node credentials; set metadata_options { http_put_response_hop_limit = 1 } and give pods their own identity (EKS Pod Identity)",
    ]);
    expect(() => warned.app.synth()).not.toThrow();

    const failed = checkedStack();
    new LaunchTemplate(failed.stack, 'Nodes', { metadataOptions: { httpPutResponseHopLimit: 1 } });
    expect(() => failed.app.synth()).toThrow(
      '[test/Nodes] ec2-imdsv2 metadata_options.http_tokens is not set (IMDSv1 stays usable); set metadata_options { http_tokens = "required" }',
    );
  });

  test('links between resources: a bucket needs its public access block and encryption', () => {
    const { stack } = checkedStack();
    const covered = new S3Bucket(stack, 'Covered', { bucket: 'covered' });
    new S3BucketPublicAccessBlock(stack, 'CoveredBlock', {
      bucket: covered.id,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    new S3BucketServerSideEncryptionConfigurationA(stack, 'CoveredSse', {
      bucket: covered.bucket,
      rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: 'aws:kms' } }],
    });
    const half = new S3Bucket(stack, 'Half', { bucket: 'half' });
    new S3BucketPublicAccessBlock(stack, 'HalfBlock', { bucket: half.id, blockPublicAcls: true, ignorePublicAcls: true });
    new S3Bucket(stack, 'Bare', { bucket: 'bare' });
    expect(fired(stack)).toEqual([
      'ERROR s3-encryption test/Bare',
      'ERROR s3-encryption test/Half',
      'ERROR s3-public-access-block test/Bare',
      'ERROR s3-public-access-block test/Half',
    ]);
  });

  test('added to a construct, the checks cover that subtree only', () => {
    const stack = newStack(newApp(), 'test');
    const checked = new Construct(stack, 'Checked');
    unencryptedCluster(checked);
    unencryptedCluster(new Construct(stack, 'Unchecked'));
    Aspects.of(checked).add(new PlatformSecurityChecks());
    expect(fired(stack)).toEqual(['ERROR eks-secrets-encryption test/Checked/Cluster']);
  });

  test('applyTo(app) checks every stack; Aspects.of(app) alone checks nothing in cdktf 0.21', () => {
    const ignored = checkedStack();
    const other = newStack(ignored.app, 'other');
    unencryptedCluster(other);
    Aspects.of(ignored.app).add(new PlatformSecurityChecks());
    expect(fired(other)).toEqual([]);

    const app = newApp();
    const stacks = ['a', 'b'].map((id) => newStack(app, id));
    stacks.forEach(unencryptedCluster);
    PlatformSecurityChecks.applyTo(app);
    expect(stacks.flatMap(fired)).toEqual(['ERROR eks-secrets-encryption a/Cluster', 'ERROR eks-secrets-encryption b/Cluster']);
  });

  test('applyTo before any stack exists says so instead of checking nothing', () => {
    expect(() => PlatformSecurityChecks.applyTo(newApp())).toThrow(
      '(app): PlatformSecurityChecks.applyTo found no TerraformStack to check; call it after the stacks are defined, just before app.synth()',
    );
  });

  test('every rule has a unique kebab-case id, a level, resource types, a description and a fix', () => {
    const rules = PlatformSecurityChecks.rules;
    expect(new Set(rules.map((r) => r.id)).size).toBe(rules.length);
    for (const r of rules) {
      expect(r.id).toMatch(/^[a-z0-9]+(-[a-z0-9]+)+$/);
      expect([SecurityRuleLevel.ERROR, SecurityRuleLevel.WARNING]).toContain(r.level);
      expect(r.resourceTypes.length).toBeGreaterThan(0);
      expect(r.description).toMatch(/\.$/);
      expect(r.fix.length).toBeGreaterThan(10);
    }
  });
});

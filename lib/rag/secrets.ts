import { SecretV1 } from '@cdktf/provider-kubernetes/lib/secret-v1';
import { Fn } from 'cdktf';
import { Construct } from 'constructs';
import { sameStack } from '../private/cluster-access';
import { RagContext } from './types';

/**
 * A Kubernetes secret whose generated values Terraform creates at apply time (two UUIDs without dashes,
 * 244 random bits), so they never appear in the synthesized configuration; later applies ignore the data
 * (the first values stay, as do rotations done in the cluster). Like every secret Terraform manages, the
 * values are in Terraform state.
 */
export function generatedSecret(
  scope: Construct,
  id: string,
  ctx: RagContext,
  name: string,
  keys: { [key: string]: string | undefined },
): SecretV1 {
  const data: { [key: string]: string } = {};
  for (const [k, v] of Object.entries(keys)) data[k] = v ?? Fn.replace(Fn.join('', [Fn.uuid(), Fn.uuid()]), '-', '');
  const secret = new SecretV1(scope, id, {
    provider: ctx.cluster.providers(scope).kubernetes,
    metadata: { name, namespace: ctx.namespace, labels: { 'app.kubernetes.io/part-of': 'ai-platform' } },
    type: 'Opaque',
    data,
    lifecycle: { ignoreChanges: ['data'] },
    dependsOn: [...ctx.cluster.addonDependencies(scope), ...sameStack(scope, ctx.dependables)],
  });
  return secret;
}

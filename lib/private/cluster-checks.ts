import { DataKubernetesResources } from '@cdktf/provider-kubernetes/lib/data-kubernetes-resources';
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { Construct } from 'constructs';

/** An object that must already exist in a cluster the library did not create. */
export interface RequiredObject {
  /** API version, e.g. storage.k8s.io/v1. */
  readonly apiVersion: string;
  /** Kind, e.g. CSIDriver. */
  readonly kind: string;
  /** Object name. */
  readonly name: string;
  /**
   * Namespace of a namespaced object.
   * @default - none: a cluster-scoped object
   */
  readonly namespace?: string;
  /** What `terraform plan` prints when it is missing: what is wrong and the fix. */
  readonly errorMessage: string;
  /**
   * A Terraform boolean expression (without `${}`) under which the object is not needed, e.g. a cluster mode
   * that provides the capability another way.
   * @default - always needed
   */
  readonly unless?: string;
}

/**
 * Fails `terraform plan` with `o.errorMessage` when the object is missing: a list (the singular
 * `kubernetes_resource` returns a null object for a missing one, and plan fails with "Provider produced
 * null object" instead of the reason) filtered by name, and a postcondition on its length.
 */
export function requireClusterObject(
  scope: Construct,
  id: string,
  kubernetes: KubernetesProvider,
  o: RequiredObject,
): DataKubernetesResources {
  return new DataKubernetesResources(scope, id, {
    provider: kubernetes,
    apiVersion: o.apiVersion,
    kind: o.kind,
    ...(o.namespace !== undefined ? { namespace: o.namespace } : {}),
    fieldSelector: `metadata.name=${o.name}`,
    lifecycle: {
      postcondition: [
        {
          condition: o.unless ? `\${length(self.objects) > 0 || ${o.unless}}` : '${length(self.objects) > 0}',
          errorMessage: o.errorMessage,
        },
      ],
    },
  });
}

import { lazyModule } from '../private/lazy';
import type { EksAccessPolicyAssociation } from '@cdktf/provider-aws/lib/eks-access-policy-association';
import { TerraformIterator, Token } from 'cdktf';
import { Construct } from 'constructs';

const eksAccessEntryLib = lazyModule<typeof import('@cdktf/provider-aws/lib/eks-access-entry')>('@cdktf/provider-aws/lib/eks-access-entry');
const eksAccessPolicyAssociationLib = lazyModule<typeof import('@cdktf/provider-aws/lib/eks-access-policy-association')>(
  '@cdktf/provider-aws/lib/eks-access-policy-association',
);

const CLUSTER_ADMIN_POLICY = 'arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy';

/** An access entry `<id>Entry` for `principalArn` and its cluster-admin policy association `<id>Admin`, in `scope`. */
export function clusterAdminEntry(
  scope: Construct,
  id: string,
  clusterName: string,
  principalArn: string,
  tags: { [key: string]: string },
): EksAccessPolicyAssociation {
  const entry = new (eksAccessEntryLib().EksAccessEntry)(scope, `${id}Entry`, { clusterName, principalArn, tags });
  return new (eksAccessPolicyAssociationLib().EksAccessPolicyAssociation)(scope, `${id}Admin`, {
    clusterName,
    principalArn: entry.principalArn,
    policyArn: CLUSTER_ADMIN_POLICY,
    accessScope: { type: 'cluster' },
  });
}

/** One cluster-admin entry per admin ARN (`Admin<i>`); a list from a variable becomes a for_each over it. */
export function clusterAdminEntries(scope: Construct, clusterName: string, arns: string[], tags: { [key: string]: string }): void {
  if (!Token.isUnresolved(arns)) {
    arns.forEach((arn, i) => clusterAdminEntry(scope, `Admin${i}`, clusterName, arn, tags));
    return;
  }
  const each = TerraformIterator.fromList(arns);
  const entry = new (eksAccessEntryLib().EksAccessEntry)(scope, 'AdminEntries', {
    forEach: each,
    clusterName,
    principalArn: each.value,
    tags,
  });
  new (eksAccessPolicyAssociationLib().EksAccessPolicyAssociation)(scope, 'AdminPolicies', {
    forEach: each,
    clusterName,
    principalArn: each.value,
    policyArn: CLUSTER_ADMIN_POLICY,
    accessScope: { type: 'cluster' },
    dependsOn: [entry],
  });
}

import { lazyModule } from '../private/lazy';
import type { EksPodIdentityAssociation } from '@cdktf/provider-aws/lib/eks-pod-identity-association';
import type { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { ITerraformDependable, Lazy, TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { CloudProvider, CredentialEndpoint, IWorkloadIdentity } from '../core/cluster';
import { awsContext } from './account';
import { reportProblems } from '../private/problems';
import { K8sName, isToken, shown, validateK8sName } from '../private/validation';

/** Where the EKS Pod Identity agent (hostNetwork DaemonSet) serves credentials: AWS_CONTAINER_CREDENTIALS_FULL_URI. */
export const POD_IDENTITY_AGENT: CredentialEndpoint = {
  name: 'pod-identity-agent',
  cidrs: ['169.254.170.23/32', 'fd00:ec2::23/128'],
  port: 80,
};

/** IAM role names are account-wide: the names each stack creates (one stack, one account), with the binding that made each. */
const roleNames = new WeakMap<object, Map<string, string>>();

const dataAwsIamPolicyDocumentLib = lazyModule<typeof import('@cdktf/provider-aws/lib/data-aws-iam-policy-document')>(
  '@cdktf/provider-aws/lib/data-aws-iam-policy-document',
);
const eksPodIdentityAssociationLib = lazyModule<typeof import('@cdktf/provider-aws/lib/eks-pod-identity-association')>(
  '@cdktf/provider-aws/lib/eks-pod-identity-association',
);
const iamRoleLib = lazyModule<typeof import('@cdktf/provider-aws/lib/iam-role')>('@cdktf/provider-aws/lib/iam-role');
const iamRolePolicyLib = lazyModule<typeof import('@cdktf/provider-aws/lib/iam-role-policy')>('@cdktf/provider-aws/lib/iam-role-policy');
const iamRolePolicyAttachmentLib = lazyModule<typeof import('@cdktf/provider-aws/lib/iam-role-policy-attachment')>(
  '@cdktf/provider-aws/lib/iam-role-policy-attachment',
);

/** A condition of an IAM policy statement. */
export interface PolicyCondition {
  /** Condition operator, e.g. StringEquals. */
  readonly test: string;
  /** Condition key, e.g. aws:ResourceTag/k8s.io/cluster-autoscaler/enabled. */
  readonly variable: string;
  /** Values. */
  readonly values: string[];
}

/** An IAM policy statement (Allow). */
export interface PolicyStatement {
  /** Statement id. */
  readonly sid: string;
  /** Actions. */
  readonly actions: string[];
  /** Resource ARNs. */
  readonly resources: string[];
  /**
   * Conditions.
   * @default - none
   */
  readonly conditions?: PolicyCondition[];
}

/** Options of a Pod Identity binding. */
export interface PodIdentityBindingProps {
  /** EKS cluster name. */
  readonly clusterName: string;
  /** Namespace of the service account. */
  readonly namespace: string;
  /** Service account name. */
  readonly serviceAccountName: string;
  /** Role name; IAM role names are account-wide, so it is derived from the cluster. */
  readonly roleName: string;
  /** Tags. */
  readonly tags: { [key: string]: string };
  /** Resources the association must wait for (the Pod Identity agent add-on). */
  readonly dependsOn: ITerraformDependable[];
}

/**
 * A Kubernetes service account bound to an IAM role through EKS Pod Identity: no OIDC provider, no
 * annotations, no static keys. Grant permissions with `addToPolicy` or `addManagedPolicy`.
 */
export class PodIdentityBinding extends Construct implements IWorkloadIdentity {
  public readonly cloudProvider = CloudProvider.AWS;
  /** The IAM role pods assume. */
  public readonly role: IamRole;
  /** The association of role and service account. */
  public readonly association: EksPodIdentityAssociation;
  public readonly namespace: string;
  public readonly serviceAccountName: string;
  public readonly principal: string;
  public readonly serviceAccountAnnotations: { [key: string]: string } = {};
  public readonly podLabels: { [key: string]: string } = {};
  public readonly dependables: ITerraformDependable[];
  /** Pods of the service account fetch credentials from the node's agent (link-local). */
  public readonly credentialEndpoints?: CredentialEndpoint[] = [{ ...POD_IDENTITY_AGENT, cidrs: [...POD_IDENTITY_AGENT.cidrs] }];
  private readonly statements: PolicyStatement[] = [];

  constructor(scope: Construct, id: string, props: PodIdentityBindingProps) {
    super(scope, id);
    reportProblems(this, [
      ...validateK8sName('namespace', props.namespace, K8sName.LABEL, 'serving'),
      ...validateK8sName('serviceAccountName', props.serviceAccountName, K8sName.SUBDOMAIN, 'model-server'),
      ...this.validateRoleName(props.roleName),
    ]);
    this.namespace = props.namespace;
    this.serviceAccountName = props.serviceAccountName;
    const trust = new (dataAwsIamPolicyDocumentLib().DataAwsIamPolicyDocument)(this, 'Trust', {
      statement: [
        {
          effect: 'Allow',
          principals: [{ type: 'Service', identifiers: ['pods.eks.amazonaws.com'] }],
          actions: ['sts:AssumeRole', 'sts:TagSession'],
          // Only EKS acting for this account may assume the role (confused-deputy guard).
          condition: [{ test: 'StringEquals', variable: 'aws:SourceAccount', values: [awsContext(this).caller.accountId] }],
        },
      ],
    });
    this.role = new (iamRoleLib().IamRole)(this, 'Role', {
      name: props.roleName,
      assumeRolePolicy: trust.json,
      description: `EKS Pod Identity for ${props.namespace}/${props.serviceAccountName} in ${props.clusterName}`,
      tags: props.tags,
    });
    this.principal = this.role.arn;
    this.association = new (eksPodIdentityAssociationLib().EksPodIdentityAssociation)(this, 'Association', {
      clusterName: props.clusterName,
      namespace: props.namespace,
      serviceAccount: props.serviceAccountName,
      roleArn: this.role.arn,
      tags: props.tags,
      dependsOn: props.dependsOn,
    });
    this.dependables = [this.association];
  }

  /** IAM's role name rule, and one role per name in the account (as far as this app can see). */
  private validateRoleName(name: string): string[] {
    if (isToken(name)) return [];
    if (!/^[\w+=,.@-]{1,64}$/.test(name))
      return [`roleName ${shown(name)} is not an IAM role name; use 1-64 letters, digits or +=,.@_- (bind with a shorter id)`];
    const stack = TerraformStack.of(this);
    const taken = roleNames.get(stack) ?? new Map<string, string>();
    roleNames.set(stack, taken);
    const other = taken.get(name);
    taken.set(name, this.node.path);
    return other !== undefined && other !== this.node.path
      ? [
          `roleName ${shown(name)} is also the IAM role of ${other}, and role names are unique in an account; bind with ids that differ within the first 64 characters of '<cluster>-<id>'`,
        ]
      : [];
  }

  /** Adds a statement to the role's inline policy. */
  public addToPolicy(statement: PolicyStatement): void {
    if (this.statements.length === 0) {
      // Rendered lazily so statements added later still land in the one inline policy.
      const policy = new (iamRolePolicyLib().IamRolePolicy)(this, 'Policy', {
        role: this.role.id,
        name: 'workload',
        policy: Lazy.stringValue({ produce: () => renderPolicyDocument(this.statements) }),
      });
      // Pods using the identity start once their permissions exist.
      this.dependables.push(policy);
    }
    this.statements.push(statement);
  }

  /** Attaches an AWS managed policy by ARN. */
  public addManagedPolicy(id: string, policyArn: string): void {
    new (iamRolePolicyAttachmentLib().IamRolePolicyAttachment)(this, id, { role: this.role.name, policyArn });
  }
}

/** Renders statements as an IAM policy JSON document (deterministic key order). */
export function renderPolicyDocument(statements: PolicyStatement[]): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: statements.map((s) => {
      const condition: { [op: string]: { [key: string]: string[] } } = {};
      for (const c of s.conditions ?? []) condition[c.test] = { ...(condition[c.test] ?? {}), [c.variable]: c.values };
      return {
        Sid: s.sid,
        Effect: 'Allow',
        Action: s.actions,
        Resource: s.resources,
        ...(s.conditions?.length ? { Condition: condition } : {}),
      };
    }),
  });
}

/** The IAM role name of cluster `clusterName`'s identity `id`: a literal trimmed to IAM's 64 characters, a variable left to Terraform. */
export function podIdentityRoleName(clusterName: string, id: string): string {
  const raw = `${clusterName}-${id}`;
  return isToken(clusterName) ? raw : raw.replace(/[^A-Za-z0-9+=,.@_-]/g, '-').slice(0, 64);
}

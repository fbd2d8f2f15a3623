/**
 * Cloud permissions a workload identity can be granted. Each cloud applies its own part: an add-on that
 * supports both clouds passes both, and a cloud finding its part empty reports what is missing.
 */

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

/** An Azure RBAC role assignment for the identity. */
export interface AzureRoleAssignmentGrant {
  /** Scope: a resource, resource group or subscription id. */
  readonly scope: string;
  /** Built-in or custom role name, e.g. 'Monitoring Metrics Publisher'. */
  readonly roleDefinitionName: string;
}

/** Permissions to grant a workload identity. */
export interface CloudPermissions {
  /**
   * IAM statements, applied on AWS.
   * @default - none
   */
  readonly awsStatements?: PolicyStatement[];
  /**
   * Role assignments, applied on Azure.
   * @default - none
   */
  readonly azureRoleAssignments?: AzureRoleAssignmentGrant[];
}

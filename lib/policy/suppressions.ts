import { TerraformStack } from 'cdktf';
import { IConstruct } from 'constructs';
import { reportProblems } from '../private/problems';

/** One rule switched off for a construct and everything under it, with the reason a reviewer reads. */
export interface SecuritySuppression {
  /** The id of the rule (e.g. `k8s-no-host-path`); see `PlatformSecurityChecks.rules`. */
  readonly id: string;
  /**
   * Why the rule does not apply here, or what compensates for it: at least
   * `SecuritySuppressions.MIN_REASON_LENGTH` characters. It is written into the synthesized resource, so
   * reviewers audit it in `cdk.tf.json` and in review.
   */
  readonly reason: string;
}

/** Metadata type of a suppression on a construct (read by `PlatformSecurityChecks`). */
export const SUPPRESSION_METADATA = 'cdktf-ai-platform/security-suppression';

/** A suppression as declared, with the construct it was declared on. */
export interface DeclaredSuppression {
  readonly scope: IConstruct;
  readonly id: string;
  readonly reason: string;
}

/**
 * Suppresses rules of `PlatformSecurityChecks` on a construct and everything under it, each with a
 * written reason (cdk-nag's `NagSuppressions`).
 *
 * ```ts fixture=suppressions
 * SecuritySuppressions.addSuppressions(myDaemonSet, [
 *   { id: 'k8s-no-host-path', reason: 'The device plugin registers its socket in the kubelet directory' },
 * ]);
 * ```
 *
 * A suppression with an empty or too-short reason, or no rule id, fails synth with the library's problem
 * report. A suppression no finding used is reported as a warning, so stale ones get removed.
 */
export class SecuritySuppressions {
  /** The shortest reason accepted: a sentence, not a placeholder such as "ok" or "n/a". */
  public static readonly MIN_REASON_LENGTH = 20;

  /**
   * Suppresses `suppressions` on `scope` and every construct under it (a resource, a construct such as
   * a cluster, or a whole stack).
   */
  public static addSuppressions(scope: IConstruct, suppressions: SecuritySuppression[]): void {
    const problems: string[] = [];
    suppressions.forEach((s, i) => {
      const id = typeof s.id === 'string' ? s.id.trim() : '';
      const reason = typeof s.reason === 'string' ? s.reason.trim() : '';
      if (!id) problems.push(`suppressions[${i}].id '${s.id ?? ''}' is empty; name the rule to suppress, e.g. 'k8s-no-host-path'`);
      if (reason.length < SecuritySuppressions.MIN_REASON_LENGTH)
        problems.push(
          `suppressions[${i}].reason '${s.reason ?? ''}' ${reason ? 'is too short' : 'is missing'} for rule '${id}'; write in at least ${SecuritySuppressions.MIN_REASON_LENGTH} characters why the rule does not apply here or what compensates for it`,
        );
      else if (id) scope.node.addMetadata(SUPPRESSION_METADATA, { id, reason });
    });
    if (!problems.length) return;
    if (!scope.node.scopes.some((c) => TerraformStack.isStack(c)))
      throw new Error(`${scope.node.path || '(app)'}: ${problems.join('\n')}; suppressions belong on a stack or a construct inside one`);
    reportProblems(scope, problems);
  }

  /** Suppressions declared on `scope` itself. */
  public static of(scope: IConstruct): SecuritySuppression[] {
    return scope.node.metadata.filter((m) => m.type === SUPPRESSION_METADATA).map((m) => m.data as SecuritySuppression);
  }
}

/** Suppressions that cover `construct`: declared on it or on a construct above it, nearest first. */
export function suppressionsCovering(construct: IConstruct): DeclaredSuppression[] {
  return [...construct.node.scopes]
    .reverse()
    .flatMap((scope) => SecuritySuppressions.of(scope).map((s) => ({ scope, id: s.id, reason: s.reason })));
}

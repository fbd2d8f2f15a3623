import { Annotations, Aspects, DefaultTokenResolver, IAspect, StringConcat, TerraformResource, TerraformStack, Tokenization } from 'cdktf';
import { IConstruct } from 'constructs';
import { printable } from '../private/problems';
import { Config, ResourceView, Rule, SecurityRuleInfo, SecurityRuleLevel, StackView } from './rule';
import { AWS_RULES } from './rules/aws';
import { AZURE_RULES } from './rules/azure';
import { KUBERNETES_RULES } from './rules/kubernetes';
import { SecuritySuppressions, suppressionsCovering } from './suppressions';

const RULES: Rule[] = [...AWS_RULES, ...AZURE_RULES, ...KUBERNETES_RULES];

/** Key of the audit record written into each resource's `"//"` comment block of `cdk.tf.json`. */
export const SUPPRESSED_KEY = 'security_suppressions';

/**
 * The library's security checks, run at synth as a cdktf Aspect over the Terraform resources of a stack
 * (cdk-nag's `NagPack`, for cdktf): EKS and AKS hardening, IMDS, VPC flow logs, S3, RDS/Aurora,
 * ElastiCache, EFS, KMS, storage accounts, PostgreSQL flexible server, Key Vault, Kubernetes workloads,
 * namespaces and Helm values.
 *
 * Apply it to every stack of the app, after the stacks are defined:
 * ```ts fixture=my-stack
 * import { App } from 'cdktf';
 * import { PlatformSecurityChecks } from 'cdktf-ai-platform';
 *
 * const app = new App();
 * new MyStack(app, 'prod');
 * PlatformSecurityChecks.applyTo(app);
 * app.synth();
 * ```
 * or to one stack or construct: `Aspects.of(stack).add(new PlatformSecurityChecks())`. cdktf 0.21 does
 * not run aspects added to the `App` itself (its synthesizer invokes aspects from each stack down), so
 * `Aspects.of(app).add(...)` would check nothing: use `applyTo(app)`.
 *
 * What it reads: each resource's configuration as Terraform will receive it, i.e. the attributes
 * merged with escape-hatch overrides (`addOverride`), the way `TerraformResource.toTerraform()` merges
 * them. A value that is a token (a reference, a variable, a function) is only known at apply and is
 * never reported.
 *
 * What it reports: a broken rule is an annotation on the resource, `<rule id> <problem>; <fix>`, which
 * `cdktf synth` prints as `ERROR [<construct path>]: <rule id> ...` or `WARN [...]`. Errors fail
 * the synth; warnings are printed. See `PlatformSecurityChecks.rules` for the rules, their ids and levels.
 *
 * Suppressions: `SecuritySuppressions.addSuppressions(construct, [{ id, reason }])` switches a rule off
 * for a construct and everything under it. Each suppressed finding is recorded in the resource's
 * `"//"` comment block (`security_suppressions`: rule, reason, where it was declared), so the reason
 * stays in the synthesized configuration for audit. A suppression that no finding used is a warning.
 */
export class PlatformSecurityChecks implements IAspect {
  /** Every rule: id, level, resource types, description and fix. */
  public static get rules(): SecurityRuleInfo[] {
    return RULES.map(({ id, level, resourceTypes, description, fix }) => ({ id, level, resourceTypes, description, fix }));
  }

  /**
   * Adds the checks to every stack under `scope` (an app, or a construct holding stacks), or, for a
   * construct inside a stack, to that construct and everything under it. Call it once the stacks are
   * defined, before `app.synth()`: a stack created later is not checked.
   */
  public static applyTo(scope: IConstruct): PlatformSecurityChecks {
    const checks = new PlatformSecurityChecks();
    const stacks = scope.node.findAll().filter((c): c is TerraformStack => TerraformStack.isStack(c));
    if (!stacks.length && !scope.node.scopes.some((c) => TerraformStack.isStack(c)))
      throw new Error(
        `${scope.node.path || '(app)'}: PlatformSecurityChecks.applyTo found no TerraformStack to check; call it after the stacks are defined, just before app.synth()`,
      );
    for (const target of stacks.length ? stacks : [scope]) Aspects.of(target).add(checks);
    return checks;
  }

  private readonly checked = new WeakSet<IConstruct>();
  private readonly views = new WeakMap<TerraformStack, StackView>();

  /** Runs the rules once over the subtree of the first construct it visits (the stack, or the construct it was added to). */
  public visit(node: IConstruct): void {
    if (node.node.scopes.some((s) => this.checked.has(s))) return;
    const stack = node.node.scopes.find((s): s is TerraformStack => TerraformStack.isStack(s));
    if (!stack) return;
    this.checked.add(node);
    this.check(node, this.stackView(stack));
  }

  private check(scope: IConstruct, stack: StackView): void {
    const usedKeys = new Set<string>();
    for (const r of stack.ofType()) {
      if (!r.resource.node.scopes.includes(scope)) continue;
      const covering = suppressionsCovering(r.resource);
      const audit: { rule: string; reason: string; declared_at: string }[] = [];
      for (const rule of RULES) {
        if (!rule.resourceTypes.includes(r.type)) continue;
        let problem: string | undefined;
        try {
          problem = rule.check(r, stack);
        } catch (e) {
          // A configuration shape the rule did not expect: say so, never stop the synth from inside a rule.
          Annotations.of(r.resource).addWarning(
            printable(`${rule.id} could not be checked (${(e as Error).message}); check this resource by hand`),
          );
          continue;
        }
        if (problem === undefined) continue;
        const s = covering.find((c) => c.id === rule.id);
        if (s) {
          usedKeys.add(`${s.scope.node.path}\u0000${s.id}`);
          audit.push({ rule: rule.id, reason: s.reason, declared_at: s.scope.node.path });
          continue;
        }
        const message = printable(`${rule.id} ${problem}; ${rule.fix}`);
        if (rule.level === SecurityRuleLevel.ERROR) Annotations.of(r.resource).addError(message);
        else Annotations.of(r.resource).addWarning(message);
      }
      if (audit.length) r.resource.addOverride(`//.${SUPPRESSED_KEY}`, audit);
    }
    for (const c of scope.node.findAll()) {
      for (const s of SecuritySuppressions.of(c)) {
        if (usedKeys.has(`${c.node.path}\u0000${s.id}`)) continue;
        const known = RULES.some((r) => r.id === s.id);
        Annotations.of(c).addWarning(
          printable(
            known
              ? `${s.id} suppression is unused: no resource under this construct breaks the rule; remove the suppression`
              : `${s.id} suppression names no rule of PlatformSecurityChecks; use one of the ids in PlatformSecurityChecks.rules`,
          ),
        );
      }
    }
  }

  private stackView(stack: TerraformStack): StackView {
    const cached = this.views.get(stack);
    if (cached) return cached;
    const all: ResourceView[] = stack.node
      .findAll()
      .filter((c): c is TerraformResource => TerraformResource.isTerraformResource(c))
      .flatMap((resource) => {
        const config = mergedConfig(resource);
        return config
          ? [
              {
                resource,
                type: resource.terraformResourceType,
                address: `${resource.terraformResourceType}.${resource.friendlyUniqueId}`,
                config,
              },
            ]
          : [];
      });
    const resolved = (value: unknown): string | undefined => {
      if (typeof value !== 'string') return undefined;
      try {
        const text = Tokenization.resolve(value, { scope: stack, resolver: new DefaultTokenResolver(new StringConcat()) });
        return typeof text === 'string' ? text : undefined;
      } catch {
        return undefined;
      }
    };
    const view: StackView = {
      stack,
      ofType: (...types) => (types.length ? all.filter((r) => types.includes(r.type)) : all),
      resolved,
      refersTo: (value, target) => {
        const text = resolved(value);
        if (text === undefined) return undefined;
        if (text.includes(`\${${target.address}.`)) return true;
        const name = target.config.bucket ?? target.config.name;
        if (typeof name === 'string' && text === name) return true;
        // A reference to a resource, or a literal: known not to be `target`. Variables and data sources may be.
        return /\$\{(var|data|module|local)\./.test(text) ? undefined : false;
      },
    };
    this.views.set(stack, view);
    return view;
  }
}

/**
 * The configuration Terraform receives for `resource`: `toTerraform()` deep-merges the provider
 * attributes, the meta-arguments and the escape-hatch overrides (`rawOverrides`, from `addOverride`),
 * exactly as synth writes them; tokens stay unresolved. Undefined for a moved resource.
 */
function mergedConfig(resource: TerraformResource): Config | undefined {
  const fragment = resource.toTerraform() as { resource?: { [type: string]: { [id: string]: Config } } };
  return fragment.resource?.[resource.terraformResourceType]?.[resource.friendlyUniqueId];
}

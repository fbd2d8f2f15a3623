import * as fs from 'fs';
import * as path from 'path';
import { IStackSynthesizer, ISynthesisSession, TerraformStack, Token } from 'cdktf';
import { Construct, IConstruct } from 'constructs';
import type { IAcceleratorCluster } from '../core/cluster';
import { OnCluster, ReportedCluster, ReportedModel, ReportedTenant, buildPlatformReport, stableJson } from './report';
import { renderPlatformReportMarkdown } from './report-markdown';

/** File names of the report, beside the stack's cdk.tf.json. */
export const PLATFORM_REPORT_JSON = 'platform-report.json';
export const PLATFORM_REPORT_MARKDOWN = 'platform-report.md';

const ID = 'PlatformReport';

/**
 * The capacity and cost report of one stack: per cluster and pool what the nodes hold at their limits and
 * what they cost, the served models and the tenants' quotas. Written at synth as `platform-report.json`
 * and `platform-report.md` beside the stack's `cdk.tf.json`. The library's clusters, RagStack and Tenant
 * register themselves; nothing is created in Terraform.
 */
export class PlatformReport extends Construct {
  /** The report of `scope`'s stack, created on first use. */
  public static of(scope: IConstruct): PlatformReport {
    const stack = TerraformStack.of(scope);
    return (stack.node.tryFindChild(ID) as PlatformReport | undefined) ?? new PlatformReport(stack, ID);
  }

  private readonly clusters: IAcceleratorCluster[] = [];
  private readonly models: { cluster: IAcceleratorCluster; entry: ReportedModel }[] = [];
  private readonly tenants: { cluster: IAcceleratorCluster; entry: ReportedTenant }[] = [];

  private constructor(scope: Construct, id: string) {
    super(scope, id);
    // The stack's synthesizer writes cdk.tf.json into the session's directory for the stack; the report is
    // written next to it, after it (so validation errors stop both), by wrapping that synthesizer.
    const stack = TerraformStack.of(this);
    stack.synthesizer = new ReportWritingSynthesizer(stack.synthesizer, (session) => this.write(session));
  }

  /** Reports a cluster's accelerator pools. */
  public addCluster(cluster: IAcceleratorCluster): void {
    if (!this.clusters.includes(cluster)) this.clusters.push(cluster);
  }

  /** Reports a model served on `cluster` (which must be reported in this stack too). */
  public addServedModel(cluster: IAcceleratorCluster, model: ReportedModel): void {
    this.models.push({ cluster, entry: model });
  }

  /** Reports a tenant of `cluster` and its quotas. */
  public addTenant(cluster: IAcceleratorCluster, tenant: ReportedTenant): void {
    this.tenants.push({ cluster, entry: tenant });
  }

  /** The report as JSON-ready data. */
  public render(): any {
    const stack = TerraformStack.of(this);
    const rel = (c: IConstruct) => c.node.path.slice(stack.node.path.length + 1);
    const clusters: ReportedCluster[] = this.clusters.map((c) => ({
      path: rel(c),
      name: Token.isUnresolved(c.clusterName) ? rel(c) : c.clusterName,
      cloud: c.cloudProvider,
      region: Token.isUnresolved(c.region) ? undefined : c.region,
      pools: c.acceleratorPools,
    }));
    const on = <T>(list: { cluster: IAcceleratorCluster; entry: T }[]): OnCluster<T>[] =>
      list.map((x) => ({ cluster: TerraformStack.of(x.cluster) === stack ? rel(x.cluster) : '', entry: x.entry }));
    return buildPlatformReport(stack.node.id, clusters, on(this.models), on(this.tenants));
  }

  private write(session: ISynthesisSession): void {
    if (this.clusters.every((c) => c.acceleratorPools.length === 0)) return;
    const dir = path.join(session.outdir, session.manifest.forStack(TerraformStack.of(this)).workingDirectory);
    const report = this.render();
    fs.writeFileSync(path.join(dir, PLATFORM_REPORT_JSON), stableJson(report));
    fs.writeFileSync(path.join(dir, PLATFORM_REPORT_MARKDOWN), renderPlatformReportMarkdown(report));
  }
}

/** Runs a stack's synthesizer, then writes the report. */
class ReportWritingSynthesizer implements IStackSynthesizer {
  constructor(
    private readonly inner: IStackSynthesizer,
    private readonly after: (session: ISynthesisSession) => void,
  ) {}

  public synthesize(session: ISynthesisSession): void {
    this.inner.synthesize(session);
    this.after(session);
  }
}

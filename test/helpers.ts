import 'cdktf/lib/testing/adapters/jest';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { AzurermProvider } from '@cdktf/provider-azurerm/lib/provider';
import { App, TerraformStack, Testing } from 'cdktf';
import { Construct } from 'constructs';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/** A stack with an AWS provider, as users write it; `context` is the app's context (e.g. a pinned today). */
export function awsStack(id = 'test', context?: { [key: string]: any }, inApp?: App): TerraformStack {
  const app = inApp ?? Testing.app(context ? { context } : undefined);
  const stack = new TerraformStack(app, id);
  new AwsProvider(stack, 'aws', { region: 'us-east-1' });
  return stack;
}

/** Synthesizes with validations on and parses the result. */
export function synthJson(stack: Construct): any {
  return JSON.parse(Testing.synth(stack as TerraformStack, true));
}

/**
 * The problem lines of the one ValidationError synthesizing `stack` throws (header line dropped), or []
 * when it synthesizes. Fails when the error is not the library's problem report.
 */
export function problemLines(stack: Construct): string[] {
  try {
    synthJson(stack);
  } catch (e) {
    const [header, ...lines] = String((e as Error).message).split('\n');
    const m = /^(\d+) problems? in the cdktf-ai-platform constructs; fix them all, then synthesize again:$/.exec(header);
    if (!m) throw e;
    expect(lines).toHaveLength(Number(m[1]));
    return lines;
  }
  return [];
}

/** Resources of one type, by name. */
export function resources(doc: any, type: string): { [name: string]: any } {
  return (doc.resource && doc.resource[type]) || {};
}

/** The single resource of a type whose name contains `part`. */
export function resourceNamed(doc: any, type: string, part: string): any {
  const hits = Object.entries(resources(doc, type)).filter(([n]) => n.includes(part));
  if (hits.length !== 1) throw new Error(`expected one ${type} named *${part}*, found ${hits.map(([n]) => n).join(', ') || 'none'}`);
  return hits[0][1];
}

/** A stack with an azurerm provider, as users write it; `context` is the app's context (e.g. a pinned today). */
export function azureStack(id = 'test', context?: { [key: string]: any }, inApp?: App): TerraformStack {
  const app = inApp ?? Testing.app(context ? { context } : undefined);
  const stack = new TerraformStack(app, id);
  // As users must configure it for private, Entra-only storage accounts (see ObjectStore).
  new AzurermProvider(stack, 'azurerm', { features: [{ storage: [{ dataPlaneAvailable: false }] }] });
  return stack;
}

/**
 * Every stack `make` creates, synthesized as a whole app (cross-stack references only exist then), as one
 * document: resources of all stacks merged by type, and each cross-stack reference
 * (`data.terraform_remote_state.<input>.outputs.<output>`) replaced by the expression the other stack's
 * output holds, so a test can follow a reference from compute into data as if it were one stack.
 */
export function synthAppMerged(make: (app: App) => unknown): { doc: any; stacks: { [stack: string]: any } } {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'merged-'));
  const app = new App({ outdir });
  make(app);
  app.synth();
  const stacks: { [stack: string]: any } = {};
  for (const s of fs.readdirSync(path.join(outdir, 'stacks')).sort())
    stacks[s] = JSON.parse(fs.readFileSync(path.join(outdir, 'stacks', s, 'cdk.tf.json'), 'utf8'));
  fs.rmSync(outdir, { recursive: true, force: true });
  const outputs = new Map<string, string>();
  for (const d of Object.values(stacks))
    for (const [name, o] of Object.entries<any>(d.output ?? {}))
      if (typeof o.value === 'string') outputs.set(name, o.value.replace(/^\$\{(.*)\}$/, '$1'));
  const inline = (text: string) =>
    text.replace(/data\.terraform_remote_state\.[\w-]+\.outputs\.([\w-]+)/g, (all, name: string) => outputs.get(name) ?? all);
  const doc: any = { resource: {} };
  for (const d of Object.values(stacks))
    for (const [type, byName] of Object.entries<any>(d.resource ?? {}))
      doc.resource[type] = { ...(doc.resource[type] ?? {}), ...JSON.parse(inline(JSON.stringify(byName))) };
  return { doc, stacks };
}

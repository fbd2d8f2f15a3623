import 'cdktf/lib/testing/adapters/jest';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { AzurermProvider } from '@cdktf/provider-azurerm/lib/provider';
import { App, TerraformStack, Testing } from 'cdktf';
import { Construct } from 'constructs';

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

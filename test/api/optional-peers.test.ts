import { spawnSync } from 'child_process';
import * as path from 'path';

// Cloud providers are optional peers: each case runs an app in a process that cannot find the other
// cloud's provider package (nor hashicorp/time where the cloud does not use it).
function run(blocked: string[], cloud: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [path.join(__dirname, '..', 'fixtures', 'optional-peer-app.js'), blocked.join(','), cloud], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('an AWS-only app needs neither azurerm nor time', () => {
  const r = run(['@cdktf/provider-azurerm', '@cdktf/provider-time'], 'aws');
  expect(r.stderr).not.toMatch(/Cannot find module/);
  expect(r.status).toBe(0);
  expect(JSON.parse(r.stdout.trim().split('\n').pop()!).resources).toBeGreaterThan(50);
}, 130_000);

test('an Azure-only app needs no AWS provider', () => {
  const r = run(['@cdktf/provider-aws'], 'azure');
  expect(r.stderr).not.toMatch(/Cannot find module/);
  expect(r.status).toBe(0);
}, 130_000);

test('using a cloud whose provider is missing says what to install', () => {
  const r = run(['@cdktf/provider-aws'], 'aws');
  expect(r.status).not.toBe(0);
  expect(r.stderr).toMatch(
    /@cdktf\/provider-aws is not installed, and this construct creates its resources; install it beside cdktf-ai-platform \(npm i @cdktf\/provider-aws\)/,
  );
}, 130_000);

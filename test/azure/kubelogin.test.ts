import { spawnSync } from 'child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { TerraformStack, TerraformVariable } from 'cdktf';
import { Cloud, ExistingCluster, Gpu, GpuInferenceCluster, GpuNodePool, IAcceleratorCluster } from '../../lib';
import { AKS_ENTRA_SERVER_ID, kubeloginExec, LOGIN_MODES } from '../../lib/azure/kubelogin';
import { azureStack, problemLines, synthJson } from '../helpers';

const REACHABLE = ['198.51.100.7/32'];

function newCluster(stack: TerraformStack, kubeloginMode?: string): IAcceleratorCluster {
  return new GpuInferenceCluster(stack, 'Gpu', {
    cloud: Cloud.azure({ location: 'eastus2', authorizedIpRanges: REACHABLE, kubeloginMode }),
    clusterName: 'ai',
    nodePools: [GpuNodePool.inference('a', { gpu: Gpu.T4, maxNodes: 1 })],
  });
}

function existingCluster(stack: TerraformStack, kubeloginMode?: string): IAcceleratorCluster {
  const cluster = ExistingCluster.fromAks(stack, 'Shared', {
    clusterName: 'shared',
    resourceGroupName: 'platform-rg',
    storageClassName: 'managed-csi-premium',
    acceleratorPools: [],
    kubeloginMode,
  });
  // Providers are made for the first add-on that installs into the cluster.
  cluster.providers(stack);
  return cluster;
}

/** The exec blocks of the Kubernetes and Helm providers, which must agree. */
function execOf(doc: any): any {
  const kube = doc.provider.kubernetes[0].exec[0];
  expect(doc.provider.helm[0].kubernetes.exec).toEqual(kube);
  return kube;
}

describe.each([
  ['GpuInferenceCluster', newCluster],
  ['ExistingCluster.fromAks', existingCluster],
])('%s: kubelogin', (_name, make) => {
  test("by default the providers sign in with the azurerm provider's credential, through sh", () => {
    const stack = azureStack();
    const cluster = make(stack);
    const exec = execOf(synthJson(stack));
    expect(exec.command).toBe('sh');
    expect(exec.args[0]).toBe('-c');
    expect(exec.args.slice(2)).toEqual(['kubelogin', '--server-id', AKS_ENTRA_SERVER_ID]);
    // Nothing from the environment is copied into the configuration.
    expect(exec.env).toBeUndefined();
    // A person running the kubeconfig command has the Azure CLI (az aks get-credentials needs it).
    expect(cluster.kubeconfigCommand).toMatch(/^az aks get-credentials .* && kubelogin convert-kubeconfig -l azurecli$/);
  });

  test.each(LOGIN_MODES.filter((m) => m !== 'azurerm'))("kubelogin's own mode %s runs kubelogin directly", (mode) => {
    const stack = azureStack();
    const cluster = make(stack, mode);
    expect(execOf(synthJson(stack))).toEqual({
      api_version: 'client.authentication.k8s.io/v1beta1',
      command: 'kubelogin',
      args: ['get-token', '--login', mode, '--server-id', AKS_ENTRA_SERVER_ID],
    });
    expect(cluster.kubeconfigCommand).toMatch(new RegExp(`&& kubelogin convert-kubeconfig -l ${mode}$`));
  });

  test('a mode from a Terraform variable is passed to kubelogin', () => {
    const stack = azureStack();
    const mode = new TerraformVariable(stack, 'login', { type: 'string' }).stringValue;
    make(stack, mode);
    expect(execOf(synthJson(stack)).args).toEqual(['get-token', '--login', '${var.login}', '--server-id', AKS_ENTRA_SERVER_ID]);
  });

  test('a mode kubelogin lacks, or one that prompts a person, is refused with the fix', () => {
    const bad = azureStack();
    make(bad, 'password');
    expect(problemLines(bad)).toEqual([
      expect.stringMatching(
        /: kubeloginMode 'password' is not a kubelogin login mode; use one of azurerm, azurecli, azd, spn, msi, workloadidentity, azurepipelines$/,
      ),
    ]);
    const prompting = azureStack();
    make(prompting, 'devicecode');
    expect(problemLines(prompting)).toEqual([
      expect.stringMatching(
        /: kubeloginMode 'devicecode' prompts a person, and the Kubernetes and Helm providers run kubelogin where nobody can answer .*; use 'azurerm' .* or 'azurecli' after az login$/,
      ),
    ]);
  });
});

/**
 * Runs the 'azurerm' mode's exec command as the providers do, with a stand-in kubelogin that prints its
 * arguments and the variables it would read.
 */
describe("the 'azurerm' mode picks kubelogin's login as the azurerm provider picks its credential", () => {
  const dir = mkdtempSync(join(tmpdir(), 'kubelogin-'));
  const scratch = mkdtempSync(join(tmpdir(), 'kubelogin-tmp-'));
  const stub = join(dir, 'kubelogin');
  const shown = [
    'AZURE_CLIENT_ID',
    'AZURE_TENANT_ID',
    'AZURE_CLIENT_SECRET',
    'AZURE_CLIENT_CERTIFICATE_PATH',
    'AZURE_FEDERATED_TOKEN_FILE',
    'ACTIONS_ID_TOKEN_REQUEST_TOKEN',
    'AZURESUBSCRIPTION_SERVICE_CONNECTION_ID',
    'SYSTEM_ACCESSTOKEN',
  ];
  writeFileSync(
    stub,
    [
      '#!/bin/sh',
      'echo "args $*"',
      ...shown.map((v) => `if [ -n "$${v}" ]; then echo "${v}=$${v}"; fi`),
      'if [ -f "$AZURE_FEDERATED_TOKEN_FILE" ]; then echo "token file holds $(cat "$AZURE_FEDERATED_TOKEN_FILE")"; fi',
      'if [ -f "$AZURE_CLIENT_CERTIFICATE_PATH" ]; then echo "certificate file holds $(cat "$AZURE_CLIENT_CERTIFICATE_PATH")"; fi',
      'exit "$STUB_EXIT"',
    ].join('\n'),
  );
  chmodSync(stub, 0o755);
  const tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, 'jwt-from-file');
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
    rmSync(scratch, { recursive: true, force: true });
  });

  const run = (env: { [k: string]: string }) => {
    const { command, args } = kubeloginExec('azurerm');
    const r = spawnSync(command, args, {
      env: { PATH: `${dir}:/usr/bin:/bin`, TMPDIR: scratch, STUB_EXIT: '0', ...env },
      encoding: 'utf8',
    });
    return { status: r.status, lines: r.stdout.trim().split('\n'), stderr: r.stderr };
  };
  const login = (mode: string, extra = '') => `args get-token --login ${mode} --server-id ${AKS_ENTRA_SERVER_ID}${extra}`;
  const sp = { ARM_CLIENT_ID: 'app', ARM_TENANT_ID: 'tenant' };

  test('nothing set: the Azure CLI, as azurerm falls back to it', () => {
    expect(run({}).lines).toEqual([login('azurecli')]);
  });

  test('a client secret (never an argument)', () => {
    expect(run({ ...sp, ARM_CLIENT_SECRET: 's3cret' }).lines).toEqual([
      login('spn'),
      'AZURE_CLIENT_ID=app',
      'AZURE_TENANT_ID=tenant',
      'AZURE_CLIENT_SECRET=s3cret',
    ]);
    const secretFile = join(dir, 'secret');
    writeFileSync(secretFile, 'from-file\n');
    expect(run({ ...sp, ARM_CLIENT_SECRET_FILE_PATH: secretFile }).lines).toContain('AZURE_CLIENT_SECRET=from-file');
  });

  test('a client certificate wins over a secret; certificate data goes to a private file removed afterwards', () => {
    expect(run({ ...sp, ARM_CLIENT_CERTIFICATE_PATH: '/certs/sp.pfx', ARM_CLIENT_SECRET: 's' }).lines.slice(0, 4)).toEqual([
      login('spn'),
      'AZURE_CLIENT_ID=app',
      'AZURE_TENANT_ID=tenant',
      'AZURE_CLIENT_CERTIFICATE_PATH=/certs/sp.pfx',
    ]);
    const r = run({ ...sp, ARM_CLIENT_CERTIFICATE: Buffer.from('PFX-BYTES').toString('base64') });
    expect(r.lines).toContain('certificate file holds PFX-BYTES');
    expect(readdirSync(scratch)).toEqual([]);
  });

  test('OIDC with a token file, even where GitHub Actions variables are present (azurerm prefers the file)', () => {
    expect(
      run({
        ...sp,
        ARM_USE_OIDC: 'true',
        ARM_OIDC_TOKEN_FILE_PATH: tokenFile,
        ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'gh',
        ACTIONS_ID_TOKEN_REQUEST_URL: 'u',
      }).lines,
    ).toEqual([
      login('workloadidentity'),
      'AZURE_CLIENT_ID=app',
      'AZURE_TENANT_ID=tenant',
      `AZURE_FEDERATED_TOKEN_FILE=${tokenFile}`,
      'token file holds jwt-from-file',
    ]);
  });

  test('OIDC with a token value (GitLab): a private file, removed afterwards, also when kubelogin fails', () => {
    expect(run({ ...sp, ARM_USE_OIDC: 'true', ARM_OIDC_TOKEN: 'jwt-value' }).lines).toContain('token file holds jwt-value');
    expect(run({ ...sp, ARM_USE_OIDC: 'true', ARM_OIDC_TOKEN: 'jwt-value', STUB_EXIT: '3' }).status).toBe(3);
    expect(readdirSync(scratch)).toEqual([]);
  });

  test('OIDC in GitHub Actions and in Azure Pipelines', () => {
    expect(run({ ...sp, ARM_USE_OIDC: 'true', ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'gh', ACTIONS_ID_TOKEN_REQUEST_URL: 'u' }).lines).toEqual([
      login('workloadidentity'),
      'AZURE_CLIENT_ID=app',
      'AZURE_TENANT_ID=tenant',
      'ACTIONS_ID_TOKEN_REQUEST_TOKEN=gh',
    ]);
    expect(run({ ...sp, ARM_USE_OIDC: '1', ARM_ADO_PIPELINE_SERVICE_CONNECTION_ID: 'conn', SYSTEM_ACCESSTOKEN: 'ado' }).lines).toEqual([
      login('azurepipelines'),
      'AZURE_CLIENT_ID=app',
      'AZURE_TENANT_ID=tenant',
      'AZURESUBSCRIPTION_SERVICE_CONNECTION_ID=conn',
      'SYSTEM_ACCESSTOKEN=ado',
    ]);
  });

  test('AKS workload identity (a runner pod): the webhook-injected AZURE_* variables', () => {
    expect(
      run({ ARM_USE_AKS_WORKLOAD_IDENTITY: 'true', AZURE_CLIENT_ID: 'pod', AZURE_TENANT_ID: 't', AZURE_FEDERATED_TOKEN_FILE: tokenFile })
        .lines,
    ).toEqual([
      login('workloadidentity'),
      'AZURE_CLIENT_ID=pod',
      'AZURE_TENANT_ID=t',
      `AZURE_FEDERATED_TOKEN_FILE=${tokenFile}`,
      'token file holds jwt-from-file',
    ]);
  });

  test('a managed identity, user-assigned when ARM_CLIENT_ID names it; the cloud follows ARM_ENVIRONMENT', () => {
    expect(run({ ARM_USE_MSI: 'true', AZURE_CLIENT_ID: 'stray' }).lines).toEqual([login('msi')]);
    expect(run({ ARM_USE_MSI: 'true', ARM_CLIENT_ID: 'uami', ARM_ENVIRONMENT: 'usgovernment' }).lines).toEqual([
      login('msi', ' --environment AzureUSGovernmentCloud'),
      'AZURE_CLIENT_ID=uami',
    ]);
  });

  test('no credential and the CLI switched off: a clear error', () => {
    const r = run({ ARM_USE_CLI: 'false' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/no credential in the ARM_\* variables/);
  });

  test('the script is safe in Terraform strings', () => {
    const script = kubeloginExec('azurerm').args[1];
    expect(script).not.toMatch(/\$\{|%\{/);
    expect(existsSync('/bin/sh')).toBe(true);
  });
});

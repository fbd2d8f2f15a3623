import { isToken } from '../private/validation';

/** AKS's Entra ID server application, the audience kubelogin requests tokens for. */
export const AKS_ENTRA_SERVER_ID = '6dae42f8-4368-4678-94ff-3960e28e3630';

/**
 * The library's own login mode: kubelogin signs in with the credential the azurerm provider uses, read
 * from the same ARM_* variables, so a pipeline that can apply the stack can also reach the cluster.
 */
export const AZURERM_LOGIN = 'azurerm';

/** kubelogin's login modes that work without a person at a terminal. */
const KUBELOGIN_MODES = ['azurecli', 'azd', 'spn', 'msi', 'workloadidentity', 'azurepipelines'];
/** kubelogin's modes that prompt a person: the providers' exec plugin has no terminal to prompt on. */
const INTERACTIVE_MODES = ['devicecode', 'interactive', 'ropc'];

/** The login modes the `kubeloginMode` props accept. */
export const LOGIN_MODES = [AZURERM_LOGIN, ...KUBELOGIN_MODES];

/**
 * Checks a `kubeloginMode` prop. A Terraform token is passed to kubelogin as it is.
 * @returns `<prop> <value> <problem>; <fix>` messages
 */
export function validateKubeloginMode(prop: string, mode: string): string[] {
  if (isToken(mode) || LOGIN_MODES.includes(mode)) return [];
  if (INTERACTIVE_MODES.includes(mode))
    return [
      `${prop} '${mode}' prompts a person, and the Kubernetes and Helm providers run kubelogin where nobody can answer (plan and apply hang or fail); use '${AZURERM_LOGIN}' (the azurerm provider's credential) or 'azurecli' after az login`,
    ];
  return [`${prop} '${mode}' is not a kubelogin login mode; use one of ${LOGIN_MODES.join(', ')}`];
}

/**
 * The `azurerm` mode: a POSIX shell script that picks kubelogin's login the way the azurerm provider picks
 * its credential (go-azure-sdk's order: client certificate, client secret, OIDC token or token file, Azure
 * Pipelines, GitHub Actions, managed identity, Azure CLI), from the same variables, and hands kubelogin
 * the values under the names it reads (AZURE_*). Secrets stay in the environment: none is an argument and
 * none is written to the configuration; a token or certificate given as a value goes to a private temporary
 * file, removed when kubelogin exits. `$@` is the rest of kubelogin's arguments (`--server-id ...`).
 * Terraform templates must not see `${` or `%{` here: the script uses neither.
 */
const AZURERM_SCRIPT = [
  'on() { case $1 in 1|t|T|true|TRUE|True) return 0;; esac; return 1; }',
  'tmp=',
  'get() {',
  '  if [ -z "$tmp" ]; then exec kubelogin get-token --login "$@"; fi',
  '  kubelogin get-token --login "$@"; s=$?; rm -f "$tmp"; exit $s',
  '}',
  'case $ARM_ENVIRONMENT in',
  '  china) set -- "$@" --environment AzureChinaCloud;;',
  '  usgovernment) set -- "$@" --environment AzureUSGovernmentCloud;;',
  'esac',
  'id=$ARM_CLIENT_ID',
  'if [ -z "$id" ] && [ -n "$ARM_CLIENT_ID_FILE_PATH" ]; then id=$(cat "$ARM_CLIENT_ID_FILE_PATH") || exit 1; fi',
  'tenant=$ARM_TENANT_ID',
  'sec=$ARM_CLIENT_SECRET',
  'if [ -z "$sec" ] && [ -n "$ARM_CLIENT_SECRET_FILE_PATH" ]; then sec=$(cat "$ARM_CLIENT_SECRET_FILE_PATH") || exit 1; fi',
  'cert=$ARM_CLIENT_CERTIFICATE_PATH',
  'if [ -n "$id" ] && [ -n "$tenant" ] && [ -n "$cert$ARM_CLIENT_CERTIFICATE" ]; then',
  '  if [ -z "$cert" ]; then tmp=$(mktemp) && printf %s "$ARM_CLIENT_CERTIFICATE" | base64 -d > "$tmp" || exit 1; cert=$tmp; fi',
  '  export AZURE_CLIENT_ID="$id" AZURE_TENANT_ID="$tenant" AZURE_CLIENT_CERTIFICATE_PATH="$cert" AZURE_CLIENT_CERTIFICATE_PASSWORD="$ARM_CLIENT_CERTIFICATE_PASSWORD"',
  '  get spn "$@"',
  'fi',
  'if [ -n "$id" ] && [ -n "$tenant" ] && [ -n "$sec" ]; then',
  '  unset AZURE_CLIENT_CERTIFICATE_PATH AAD_SERVICE_PRINCIPAL_CLIENT_CERTIFICATE',
  '  export AZURE_CLIENT_ID="$id" AZURE_TENANT_ID="$tenant" AZURE_CLIENT_SECRET="$sec"',
  '  get spn "$@"',
  'fi',
  'if on "$ARM_USE_OIDC" || on "$ARM_USE_AKS_WORKLOAD_IDENTITY"; then',
  '  file=$ARM_OIDC_TOKEN_FILE_PATH',
  '  if on "$ARM_USE_AKS_WORKLOAD_IDENTITY"; then',
  '    if [ -n "$AZURE_CLIENT_ID" ]; then id=$AZURE_CLIENT_ID; fi',
  '    if [ -n "$AZURE_TENANT_ID" ]; then tenant=$AZURE_TENANT_ID; fi',
  '    if [ -z "$file" ]; then file=$AZURE_FEDERATED_TOKEN_FILE; fi',
  '  fi',
  '  if [ -z "$file" ] && [ -n "$ARM_OIDC_TOKEN" ]; then tmp=$(mktemp) && printf %s "$ARM_OIDC_TOKEN" > "$tmp" || exit 1; file=$tmp; fi',
  '  export AZURE_CLIENT_ID="$id" AZURE_TENANT_ID="$tenant"',
  '  if [ -n "$file" ]; then',
  '    unset ACTIONS_ID_TOKEN_REQUEST_TOKEN ACTIONS_ID_TOKEN_REQUEST_URL',
  '    export AZURE_FEDERATED_TOKEN_FILE="$file"',
  '    get workloadidentity "$@"',
  '  fi',
  '  rt=$ARM_OIDC_REQUEST_TOKEN; ru=$ARM_OIDC_REQUEST_URL',
  '  sc=$ARM_ADO_PIPELINE_SERVICE_CONNECTION_ID',
  '  if [ -z "$sc" ]; then sc=$ARM_OIDC_AZURE_SERVICE_CONNECTION_ID; fi',
  '  if [ -n "$sc" ]; then',
  '    if [ -n "$rt" ]; then export SYSTEM_ACCESSTOKEN="$rt"; fi',
  '    if [ -n "$ru" ]; then export SYSTEM_OIDCREQUESTURI="$ru"; fi',
  '    export AZURESUBSCRIPTION_SERVICE_CONNECTION_ID="$sc"',
  '    get azurepipelines "$@"',
  '  fi',
  '  if [ -n "$rt" ]; then export ACTIONS_ID_TOKEN_REQUEST_TOKEN="$rt"; fi',
  '  if [ -n "$ru" ]; then export ACTIONS_ID_TOKEN_REQUEST_URL="$ru"; fi',
  '  if [ -n "$ACTIONS_ID_TOKEN_REQUEST_TOKEN" ] && [ -n "$ACTIONS_ID_TOKEN_REQUEST_URL" ]; then get workloadidentity "$@"; fi',
  'fi',
  'if on "$ARM_USE_MSI"; then',
  '  if [ -n "$id" ]; then export AZURE_CLIENT_ID="$id"; else unset AZURE_CLIENT_ID AAD_SERVICE_PRINCIPAL_CLIENT_ID; fi',
  '  get msi "$@"',
  'fi',
  'case $ARM_USE_CLI in',
  '  ""|1|t|T|true|TRUE|True) get azurecli "$@";;',
  'esac',
  'echo "kubelogin: no credential in the ARM_* variables the azurerm provider reads, and ARM_USE_CLI is off" >&2',
  'exit 1',
].join('\n');

/** How the Kubernetes and Helm providers run kubelogin in `mode`. */
export function kubeloginExec(mode: string): { command: string; args: string[] } {
  const server = ['--server-id', AKS_ENTRA_SERVER_ID];
  if (mode === AZURERM_LOGIN) return { command: 'sh', args: ['-c', AZURERM_SCRIPT, 'kubelogin', ...server] };
  return { command: 'kubelogin', args: ['get-token', '--login', mode, ...server] };
}

/**
 * The command that writes a kubeconfig entry using the same login as the providers; in the `azurerm` mode
 * that is the Azure CLI's, which `az aks get-credentials` needs anyway.
 */
export function aksKubeconfigCommand(resourceGroupName: string, clusterName: string, mode: string): string {
  const login = mode === AZURERM_LOGIN ? 'azurecli' : mode;
  return `az aks get-credentials --resource-group ${resourceGroupName} --name ${clusterName} && kubelogin convert-kubeconfig -l ${login}`;
}

#!/usr/bin/env bash
# Installs the packed library the way a user does and synthesizes an app with it.
#
# Builds if the jsii output is missing or older than the sources, `npm pack`s into a temp dir outside the
# repo, checks the tarball (compiled JS, typings and .jsii in; tests, examples, bench, CI out), creates a
# throwaway cdktf TypeScript app that depends on the tarball and on the peers at the versions this repo
# pins, type-checks it (`tsc --noEmit`, wall time printed), compiles it, runs it to synthesize and checks
# the stack JSON.
#
#   .ci/consumer-check.sh                       the whole check; the temp dir is removed afterwards
#   .ci/consumer-check.sh --keep DIR            build the consumer app in DIR (new or empty) and keep it
#   .ci/consumer-check.sh --keep DIR --setup-only
#                                               stop once the app is installed (bench/run.js measures it)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

keep='' setup_only=false
while (($#)); do
  case $1 in
    --keep) keep=${2:?--keep needs a directory}; shift 2 ;;
    --setup-only) setup_only=true; shift ;;
    *) echo "usage: $0 [--keep DIR] [--setup-only]" >&2; exit 2 ;;
  esac
done
if $setup_only && [[ -z $keep ]]; then echo "--setup-only needs --keep DIR" >&2; exit 2; fi

fail() { echo "consumer-check: $*" >&2; exit 1; }
ms_since() { echo $((($(date +%s%N) - $1) / 1000000)); }

# --- build if needed -----------------------------------------------------------------------------------
needs_build() {
  [[ ! -f .jsii || ! -f lib/index.js || package.json -nt .jsii ]] && return 0
  [[ -n $(find lib -name '*.ts' ! -name '*.d.ts' -newer .jsii | head -1) ]]
}
if needs_build; then
  echo "consumer-check: jsii output missing or stale, building"
  npm run build
fi

# --- work dir outside the repo -------------------------------------------------------------------------
if [[ -n $keep ]]; then
  mkdir -p "$keep"
  work=$(cd "$keep" && pwd)
  [[ -z $(ls -A "$work") ]] || fail "--keep $work is not empty"
else
  work=$(mktemp -d "${TMPDIR:-/tmp}/cdktf-ai-platform-consumer.XXXXXX")
  trap 'rm -rf "$work"' EXIT
fi
case $work/ in "$root"/*) fail "work dir $work is inside the repo" ;; esac

# --- pack and check the tarball ------------------------------------------------------------------------
# The build above is current, so skip the prepack build (`npm pack` alone always builds).
tgz_name=$(npm pack --silent --ignore-scripts --pack-destination "$work" | tail -1)
tgz=$work/$tgz_name
[[ -f $tgz ]] || fail "npm pack wrote no tarball ($tgz_name)"
tar -tzf "$tgz" | sed 's|^package/||' | sort > "$work/tarball-files.txt"
for f in lib/index.js lib/index.d.ts .jsii package.json README.md LICENSE CHANGELOG.md API.md \
  lib/addons/manifests-chart/Chart.yaml node_modules/yaml/package.json node_modules/croner/package.json; do
  grep -qxF "$f" "$work/tarball-files.txt" || fail "$tgz_name lacks $f"
done
if stray=$(grep -E '^(test|examples|bench|\.ci)/|\.test\.' "$work/tarball-files.txt"); then
  fail "$tgz_name ships files users do not need:"$'\n'"$stray"
fi
if stray=$(grep -E '\.ts$' "$work/tarball-files.txt" | grep -vE '\.d\.ts$'); then
  fail "$tgz_name ships TypeScript sources:"$'\n'"$stray"
fi
echo "consumer-check: $tgz_name: $(wc -l < "$work/tarball-files.txt") files, $(du -k "$tgz" | cut -f1) KiB"

# --- the consumer app ----------------------------------------------------------------------------------
app=$work/app
mkdir -p "$app/src"
# Peers (and typescript, @types/node) at exactly the versions this repo is built and tested with.
node - "$root/package.json" "$tgz" > "$app/package.json" <<'EOF'
const [pkgPath, tgz] = process.argv.slice(2);
const dev = require(pkgPath).devDependencies;
const pin = (name) => {
  if (!dev[name]) throw new Error(`${pkgPath} devDependencies has no ${name}`);
  return dev[name];
};
const names = ['cdktf', 'constructs', '@cdktf/provider-aws', '@cdktf/provider-azurerm', '@cdktf/provider-kubernetes',
  '@cdktf/provider-helm', '@cdktf/provider-time', 'typescript', '@types/node'];
const dependencies = { 'cdktf-ai-platform': `file:${tgz}` };
for (const n of names) dependencies[n] = pin(n);
console.log(JSON.stringify({ name: 'cdktf-ai-platform-consumer', version: '0.0.0', private: true, dependencies }, null, 2));
EOF

# The compiler options `cdktf init --template=typescript` writes (minus incremental, so timings are cold).
cat > "$app/tsconfig.json" <<'EOF'
{
  "compilerOptions": {
    "alwaysStrict": true,
    "declaration": true,
    "experimentalDecorators": true,
    "inlineSourceMap": true,
    "inlineSources": true,
    "lib": ["es2018"],
    "module": "CommonJS",
    "noEmitOnError": true,
    "noFallthroughCasesInSwitch": true,
    "noImplicitAny": true,
    "noImplicitReturns": true,
    "noImplicitThis": true,
    "noUnusedLocals": true,
    "noUnusedParameters": true,
    "resolveJsonModule": true,
    "strict": true,
    "strictNullChecks": true,
    "strictPropertyInitialization": true,
    "stripInternal": true,
    "target": "ES2018",
    "skipLibCheck": true,
    "types": ["node"],
    "rootDir": "src",
    "outDir": "dist"
  },
  "include": ["src/**/*.ts"]
}
EOF

# Library constructs come only from the package root; providers through deep imports, as users are told.
cat > "$app/src/main.ts" <<'EOF'
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { App, LocalBackend, TerraformOutput, TerraformStack, TerraformVariable } from 'cdktf';
import { Construct } from 'constructs';
import { Cloud, EndpointAccess, Gpu, GpuInferenceCluster, GpuNodePool, InferenceGateway, ObservabilityStack } from 'cdktf-ai-platform';

class ConsumerAwsStack extends TerraformStack {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    new LocalBackend(this, { path: `${id}.tfstate` });
    new AwsProvider(this, 'aws', { region: 'eu-west-1' });
    // The allow-listed CIDR is only known at plan time: the library must accept a token here.
    const apiCidr = new TerraformVariable(this, 'api_cidr', {
      type: 'string',
      description: 'CIDR allowed on the public EKS API endpoint',
      default: '203.0.113.0/24',
    });
    const cluster = new GpuInferenceCluster(this, 'Gpu', {
      cloud: Cloud.aws({ endpointAccess: EndpointAccess.publicAndPrivate([apiCidr.stringValue]) }),
      clusterName: 'consumer',
      nodePools: [GpuNodePool.inference('l4', { gpu: Gpu.L4, maxNodes: 2 })],
    });
    new ObservabilityStack(this, 'Obs', { cluster });
    // Reads the InferencePool CRD the package ships as a data file.
    new InferenceGateway(this, 'Gateway', { cluster });
    new TerraformOutput(this, 'cluster_name', { value: cluster.clusterName });
  }
}

const app = new App({ outdir: process.argv[2] });
new ConsumerAwsStack(app, 'consumer-aws');
app.synth();
EOF

t0=$(date +%s%N)
(cd "$app" && npm install --no-audit --no-fund --prefer-offline --loglevel=error)
echo "consumer-check: npm install: $(ms_since "$t0") ms"
[[ -f $app/node_modules/cdktf-ai-platform/lib/index.js ]] || fail "installed package lacks lib/index.js"

if $setup_only; then
  echo "consumer-check: consumer app ready in $app"
  exit 0
fi

# --- type-check, compile, synthesize -------------------------------------------------------------------
tsc() { (cd "$app" && node node_modules/typescript/bin/tsc -p tsconfig.json "$@"); }
t0=$(date +%s%N)
tsc --noEmit
echo "consumer-check: consumer tsc --noEmit wall time: $(ms_since "$t0") ms"

# The README's whole main.ts must compile against the package as written.
node -e '
const md = require("fs").readFileSync(process.argv[1], "utf8");
const m = /## A whole `main.ts`\n\n```ts[^\n]*\n([\s\S]*?)\n```/.exec(md);
if (!m) { console.error("README has no whole main.ts block"); process.exit(1); }
require("fs").writeFileSync(process.argv[2], m[1] + "\n");
' "$root/README.md" "$app/readme-main.ts"
(cd "$app" && node node_modules/typescript/bin/tsc --noEmit --strict --esModuleInterop --skipLibCheck --module commonjs --target es2018 \
  --experimentalDecorators --typeRoots node_modules/@types --baseUrl . --types node readme-main.ts && rm readme-main.ts) || fail "the README's main.ts does not compile against the package"
echo "consumer-check: the README's main.ts compiles"

# The template skips lib checks; check the shipped declarations (and what they import) once without.
tsc --noEmit --skipLibCheck false
tsc
out=$work/cdktf.out
(cd "$app" && node dist/main.js "$out")
stack_json=$out/stacks/consumer-aws/cdk.tf.json
[[ -s $stack_json ]] || fail "synth wrote no $stack_json"
node - "$stack_json" <<'EOF'
const doc = JSON.parse(require('fs').readFileSync(process.argv[2], 'utf8'));
const resource = doc.resource ?? {};
for (const type of ['aws_eks_cluster', 'aws_eks_node_group', 'helm_release']) {
  if (!resource[type]) throw new Error(`consumer-aws stack has no ${type}`);
}
if (!doc.variable?.api_cidr) throw new Error('consumer-aws stack has no api_cidr variable');
if (!Object.values(resource.helm_release).some((r) => r.name === 'inference-pool-crd'))
  throw new Error('consumer-aws stack has no InferencePool CRD release');
const n = Object.values(resource).reduce((a, r) => a + Object.keys(r).length, 0);
console.log(`consumer-check: consumer-aws synthesized, ${n} resources`);
EOF
# The cloud providers are optional peers: the AWS app must still synthesize once azurerm and time are gone.
(cd "$app" && npm uninstall --no-audit --no-fund --loglevel=error @cdktf/provider-azurerm @cdktf/provider-time)
[[ ! -d $app/node_modules/@cdktf/provider-azurerm ]] || fail "azurerm still installed"
rm -rf "$out"
(cd "$app" && node dist/main.js "$out")
[[ -s $stack_json ]] || fail "the AWS app did not synthesize without the azurerm and time providers"
echo "consumer-check: AWS app synthesized without @cdktf/provider-azurerm and @cdktf/provider-time"
echo "consumer-check: OK"

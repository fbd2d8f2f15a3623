// ESLint (flat config): a few TypeScript rules, and the import boundaries that keep the layering
//   gpu (pure domain)  <-  core (contracts)  <-  aws / azure / addons  <-  observability, composites
// from eroding. Boundaries use core `no-restricted-imports` per directory. Flat config does not merge one
// rule's options across matching blocks (the last block wins), so every block below repeats the rule that
// keeps provider barrels out, through restrict().
import tseslint from 'typescript-eslint';

/** Relative import of a sibling top-level folder or file of lib/ (any depth of `../`). */
const lib = (names) => `^(\\.\\./)+(${names})(/.*)?$`;

/** `@cdktf/provider-aws` or `@cdktf/provider-aws/lib` load every resource class: ~17x synth time. */
const providerBarrel = {
  regex: '^@cdktf/provider-(aws|azurerm|kubernetes|helm|time)(/lib)?/?$',
  message: "Import the resource's own module, e.g. '@cdktf/provider-aws/lib/eks-cluster': the barrel costs ~17x synth time.",
};

/** Composites and the package barrel: built on the layers, never imported by them. */
const composites = {
  regex: `${lib('gpu-inference-cluster|observability-stack|existing-cluster|data-services|remote-write|rag-stack|feature-store|cloud|index')}|^(\\.\\./)*\\.\\.?/?$`,
  message: 'Composites (and the lib/index barrel) sit on top of the layers; a layer importing them makes a cycle.',
};

const restrict = (files, ...patterns) => ({
  files,
  rules: { 'no-restricted-imports': ['error', { patterns: [providerBarrel, ...patterns] }] },
});

export default tseslint.config(
  {
    // jsii output next to the sources, synth output, bindings.
    ignores: ['lib/**/*.js', 'lib/**/*.d.ts', '**/*.d.ts', 'cdktf.out/**', 'dist/**', 'coverage/**', 'node_modules/**'],
  },
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.recommended],
    rules: {
      // tsc's noUnusedLocals/noUnusedParameters report these already.
      '@typescript-eslint/no-unused-vars': 'off',
      // Tests reach into synthesized JSON; lib keeps its public API typed (jsii refuses `any` props anyway).
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/consistent-type-assertions': ['error', { assertionStyle: 'as' }],
      eqeqeq: ['error', 'smart'],
      'no-var': 'error',
      'prefer-const': 'error',
      'no-throw-literal': 'error',
    },
  },
  {
    files: ['**/*.js'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { require: 'readonly', module: 'writable', process: 'readonly', __dirname: 'readonly', console: 'readonly' },
    },
    rules: { eqeqeq: ['error', 'smart'], 'no-var': 'error', 'prefer-const': 'error', 'no-undef': 'error' },
  },

  // Everything (examples, tests, bench, composites): no provider barrels.
  restrict(['**/*.ts']),

  // gpu: pure domain, no cdktf, no providers, no other layer.
  restrict(
    ['lib/gpu/**/*.ts'],
    { regex: lib('core|aws|azure|addons|observability[^/]*'), message: 'lib/gpu is the pure GPU domain: it imports no other layer.' },
    { regex: '^(cdktf|cdktf-cli|@cdktf/.*)(/.*)?$', message: 'lib/gpu is the pure GPU domain: no cdktf, no providers.' },
    composites,
  ),

  // core: the contracts; knows no cloud, add-on or composite.
  restrict(
    ['lib/core/**/*.ts'],
    {
      regex: lib('aws|azure|addons|observability[^/]*'),
      message: 'lib/core holds the contracts: clouds, add-ons and observability depend on it, not the reverse.',
    },
    composites,
  ),

  // private: internal helpers shared by every layer, so it sits beside core and imports no higher layer.
  restrict(
    ['lib/private/**/*.ts'],
    {
      regex: lib('aws|azure|addons|observability[^/]*'),
      message: 'lib/private holds helpers every layer uses: it imports only lib/core and lib/gpu.',
    },
    composites,
  ),

  // cost: the price catalog and the platform report read the core contracts only; capabilities, observability
  // and composites register with it, so it imports none of them and no cloud.
  restrict(
    ['lib/cost/**/*.ts'],
    {
      regex: lib('aws|azure|addons|observability[^/]*|rag|feast|tenancy'),
      message: 'lib/cost reads the lib/core contracts: capabilities and composites report to it, not the reverse.',
    },
    composites,
  ),

  // policy: the security checks read synthesized resources; every layer may declare suppressions, so it
  // imports no layer above lib/private.
  restrict(
    ['lib/policy/**/*.ts'],
    {
      regex: lib('gpu|core|aws|azure|addons|observability[^/]*|rag|feast|tenancy'),
      message: 'lib/policy reads Terraform resources only: it imports cdktf and lib/private, so any layer can declare suppressions.',
    },
    composites,
  ),

  // The clouds never reach into each other.
  restrict(
    ['lib/aws/**/*.ts'],
    { regex: lib('azure'), message: 'lib/aws must not import lib/azure: share code through lib/core.' },
    composites,
  ),
  restrict(
    ['lib/azure/**/*.ts'],
    { regex: lib('aws'), message: 'lib/azure must not import lib/aws: share code through lib/core.' },
    composites,
  ),

  // Add-ons and observability see clusters through the core contract only.
  restrict(
    ['lib/addons/**/*.ts'],
    { regex: lib('aws|azure'), message: 'Add-ons use the lib/core contract (IPlatformCluster), never lib/aws or lib/azure.' },
    composites,
  ),
  // Composites reach a cloud through lib/cloud.ts (Cloud, the cluster imports, the remote-write backends),
  // the one module that names the clouds' classes.
  restrict(
    [
      'lib/gpu-inference-cluster.ts',
      'lib/existing-cluster.ts',
      'lib/remote-write.ts',
      'lib/rag-stack.ts',
      'lib/feature-store.ts',
      'lib/data-services.ts',
    ],
    {
      regex: '^\\./(aws|azure)(/.*)?$',
      message: 'Composites reach a cloud through lib/cloud.ts and the lib/core contracts, never lib/aws or lib/azure.',
    },
  ),
  // Capabilities see the cloud through the lib/core contracts (IDataServices, IWorkloadIdentity, ...) only.
  restrict(['lib/rag/**/*.ts', 'lib/feast/**/*.ts', 'lib/tenancy/**/*.ts'], {
    regex: lib('aws|azure'),
    message: 'Capabilities (rag, feast, tenancy) reach a cloud through the lib/core contracts, never lib/aws or lib/azure.',
  }),
  restrict(
    ['lib/observability/**/*.ts', 'lib/observability-stack.ts'],
    // `./aws` too: observability-stack.ts sits in lib/ itself.
    {
      regex: `${lib('aws|azure')}|^\\./(aws|azure)(/.*)?$`,
      message: 'Observability uses the lib/core contract (IPlatformCluster), never lib/aws or lib/azure.',
    },
  ),
);

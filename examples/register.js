// Runs the examples' TypeScript without a build step: `node -r ./examples/register.js examples/main.ts`
// (cdktf.json's app). esbuild strips the types of each .ts file as it is required, as ts-node's
// transpile-only mode does, in a fraction of the time. It installs no source-map support: cdktf
// captures a stack trace for every token it creates, and mapping each through source maps costs
// seconds. The inline maps are there for a debugging run: NODE_OPTIONS=--enable-source-maps.
'use strict';
const fs = require('fs');
const { transformSync } = require('esbuild');

// Node tries extensions in the order they were registered: put `.ts` before `.js`, so that the sources
// win over compiled lib/**/*.js that `npm run build` (jsii) leaves beside them, stale after the next edit.
const compileJs = require.extensions['.js'];
delete require.extensions['.js'];
require.extensions['.ts'] = function compileTs(module, filename) {
  const { code } = transformSync(fs.readFileSync(filename, 'utf8'), {
    loader: 'ts',
    format: 'cjs',
    target: 'node20',
    sourcefile: filename,
    sourcemap: 'inline',
    // What tsconfig.json's ES2020 target means for class fields, as ts-node compiled them.
    tsconfigRaw: { compilerOptions: { useDefineForClassFields: false, experimentalDecorators: true } },
  });
  module._compile(code, filename);
};
require.extensions['.js'] = compileJs;

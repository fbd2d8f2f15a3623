/** Tests run TypeScript through ts-jest in isolatedModules mode: transpile only, no type check per file (tsc does that). */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
  moduleFileExtensions: ['ts', 'js', 'json'],
  setupFilesAfterEnv: ['<rootDir>/test/setup.js'],
  // Snapshots hold readable objects (see test/examples): no escaped quotes, no `Object {` prefixes.
  snapshotFormat: { escapeString: false, printBasicPrototype: false },
};

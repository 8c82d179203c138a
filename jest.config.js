/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.tsx?$': [
      '@swc/jest',
      { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } },
    ],
  },
  moduleFileExtensions: ['ts', 'js', 'json'],
  // npm installs two copies of protobufjs 8 (under @temporalio/common and @temporalio/proto, since
  // grpc's 7.x holds the top level): the SDK's history JSON reader (replay tests) must use the
  // copy that built the History type, or it fails with "type must be a Type".
  moduleNameMapper: {
    '^protobufjs/ext/protojson$':
      '<rootDir>/node_modules/@temporalio/proto/node_modules/protobufjs/ext/protojson.js',
  },
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  testTimeout: 60000,
  // Two cores: integration suites share one Temporal server and PostgreSQL.
  maxWorkers: 2,
};

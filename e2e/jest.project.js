/**
 * The e2e jest project: tests against a real control plane (kube-apiserver,
 * etcd, nats-server, moto) that the global setup starts once per run and the
 * global teardown stops, whatever the results. The root jest.config.js lists
 * this file in `projects`; run it alone with
 *   node --experimental-vm-modules node_modules/jest/bin/jest.js -c e2e/jest.project.js
 *
 * @type {import('jest').Config}
 */
export default {
  displayName: 'e2e',
  rootDir: '..',
  testEnvironment: 'node',
  testMatch: ['<rootDir>/e2e/tests/**/*.test.ts'],
  globalSetup: '<rootDir>/e2e/harness/jest-global-setup.mjs',
  globalTeardown: '<rootDir>/e2e/harness/jest-global-teardown.mjs',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: {
    '^@agentrail/([a-z-]+)$': '<rootDir>/packages/$1/src/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: '<rootDir>/tsconfig.test.json' }],
  },
  // Sets the 60 s test timeout: a project's own `testTimeout` is ignored when the
  // root config runs several projects.
  setupFilesAfterEnv: ['<rootDir>/e2e/harness/jest-timeout.ts'],
};

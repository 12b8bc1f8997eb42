/**
 * One jest run for the whole repository. Tests live beside the code
 * (`packages/<part>/src/**\/*.test.ts`) and, for tests that start real peers,
 * under `packages/<part>/test/`. Workspace imports resolve to sources so a test
 * never runs against a stale build.
 *
 * @type {import('jest').Config}
 */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  testMatch: ['<rootDir>/packages/*/src/**/*.test.ts', '<rootDir>/packages/*/test/**/*.test.ts'],
  moduleNameMapper: {
    '^@agentrail/([a-z-]+)$': '<rootDir>/packages/$1/src/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: '<rootDir>/tsconfig.test.json' }],
  },
  testTimeout: 60_000,
  reporters: ['default', '<rootDir>/scripts/jest-summary-reporter.cjs'],
};

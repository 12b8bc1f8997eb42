/**
 * One jest run for the whole repository, two projects:
 * - `unit`: tests beside the code (`packages/<part>/src/**\/*.test.ts`) and, for
 *   tests that start real peers (moto, clients), `packages/<part>/test/`;
 * - `e2e`: tests against a real control plane (e2e/jest.project.js), which its
 *   global setup starts once per run.
 * Workspace imports resolve to sources, so a test never runs against a stale build.
 *
 * @type {import('jest').ProjectConfig}
 */
const unit = {
  displayName: 'unit',
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
};

/** @type {import('jest').Config} */
export default {
  projects: [unit, '<rootDir>/e2e/jest.project.js'],
  reporters: ['default', '<rootDir>/scripts/jest-summary-reporter.cjs'],
  // Per-project testTimeout is ignored when several projects run: set it here.
  testTimeout: 60_000,
};

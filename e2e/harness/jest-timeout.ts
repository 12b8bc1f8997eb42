/**
 * Setup file of the e2e project. Jest applies `testTimeout` only from the root
 * config when it runs several projects, so the e2e budget is set here, per file:
 * a test may wait for a webhook configuration or an APIService to take effect,
 * or for the apiserver's 10 s token cache to expire.
 */
import { jest } from '@jest/globals';

jest.setTimeout(60_000);

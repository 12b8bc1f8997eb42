// See jest-global-setup.mjs for why this is JavaScript.
import './ts-resolve.mjs';

export default async function globalTeardown(...args) {
  const { default: teardown } = await import('./global-teardown.ts');
  return teardown(...args);
}

// Jest loads global setup modules with Node's own loader, not through ts-jest;
// Node runs the TypeScript harness itself once ts-resolve maps its `.js` imports.
import './ts-resolve.mjs';

export default async function globalSetup(...args) {
  const { default: setup } = await import('./global-setup.ts');
  return setup(...args);
}

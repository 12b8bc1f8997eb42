// Lets Node run the harness's TypeScript directly (`node --import ./ts-resolve.mjs
// cli.ts`): Node strips the types itself, and this hook maps the `./x.js` import
// specifiers the TypeScript sources use (as tsc and ts-jest expect) to `./x.ts`.
import { registerHooks } from 'node:module';

registerHooks({
  resolve(specifier, context, nextResolve) {
    try {
      return nextResolve(specifier, context);
    } catch (err) {
      if (err?.code === 'ERR_MODULE_NOT_FOUND' && /^\.{1,2}\/.*\.js$/.test(specifier)) {
        return nextResolve(`${specifier.slice(0, -3)}.ts`, context);
      }
      throw err;
    }
  },
});

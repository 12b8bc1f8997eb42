import { readFileSync } from 'node:fs';
import { SIDECAR_FIELDS } from './sidecar-config.js';

describe('docs/sidecar.md', () => {
  const doc = readFileSync(new URL('../../../../docs/sidecar.md', import.meta.url), 'utf8');

  it.each(SIDECAR_FIELDS.map((f) => [f.path, f.env ?? '']))('documents %s', (path, env) => {
    const row = doc.split('\n').find((line) => line.startsWith(`| \`${path}\` |`));
    expect(row).toBeDefined();
    if (env !== '') expect(row).toContain(`\`${env}\``);
  });
});

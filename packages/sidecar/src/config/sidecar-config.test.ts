import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@agentrail/core';
import { loadSidecarConfig } from './sidecar-config.js';

function fileWith(yaml: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'agentrail-config-')), 'sidecar.yaml');
  writeFileSync(path, yaml);
  return path;
}

describe('sidecar configuration', () => {
  it('applies defaults', () => {
    const c = loadSidecarConfig({});
    expect(c.listen).toEqual({ host: '127.0.0.1', explicitPort: 15080, credentialsPort: 15081, opsPort: 15090 });
    expect(c.upstream.endpoint).toBeUndefined();
    expect(Object.isFrozen(c.limits)).toBe(true);
  });

  it('takes flags over the file over the environment over defaults', () => {
    const file = fileWith('listen:\n  explicitPort: 2000\n  opsPort: 2001\nlogLevel: debug\n');
    const env = { AGENTRAIL_EXPLICIT_PORT: '3000', AGENTRAIL_OPS_PORT: '3001', AGENTRAIL_CREDENTIALS_PORT: '3002' };
    const c = loadSidecarConfig({ flags: { 'listen.explicitPort': '1000' }, configFile: file, env });
    expect(c.listen.explicitPort).toBe(1000);
    expect(c.listen.opsPort).toBe(2001);
    expect(c.listen.credentialsPort).toBe(3002);
    expect(c.logLevel).toBe('debug');
  });

  it('reports every problem with its path and source', () => {
    const file = fileWith('listen:\n  explicitPort: 70000\nupstream:\n  endpoint: ftp://x\n  bogus: 1\n');
    let error: ConfigError | undefined;
    try {
      loadSidecarConfig({ configFile: file, env: { AGENTRAIL_LOG_LEVEL: 'loud', AGENTRAIL_CREDENTIALS_PORT: 'abc' } });
    } catch (e) {
      error = e as ConfigError;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const paths = error!.problems.map((p) => p.path).sort();
    expect(paths).toEqual(['listen.credentialsPort', 'listen.explicitPort', 'logLevel', 'upstream.bogus', 'upstream.endpoint']);
    expect(error!.message).toMatch(/listen\.explicitPort: must be at most 65535 \(from file\)/);
    expect(error!.message).toMatch(/logLevel: must be one of error, warn, info, debug \(from env AGENTRAIL_LOG_LEVEL\)/);
  });

  it('refuses a rotation window as long as the credential lifetime', () => {
    const file = fileWith('credentials:\n  ttlSeconds: 1000\n  rotateBeforeSeconds: 1000\n');
    expect(() => loadSidecarConfig({ configFile: file })).toThrow(/credentials.rotateBeforeSeconds: must be less than/);
  });

  it('names an unreadable config file', () => {
    expect(() => loadSidecarConfig({ configFile: '/nonexistent/agentrail.yaml' })).toThrow(/cannot read \/nonexistent\/agentrail.yaml/);
  });
});

/**
 * The PKI of one test cluster, laid out as kubeadm does: a cluster CA (apiserver
 * serving cert, client CA, admin cert), an etcd CA, a front-proxy CA for the
 * aggregation layer, and a test CA for the servers tests run (the OIDC issuer,
 * webhooks, aggregated APIs). Plus the service-account and OIDC signing keys.
 */
import { createPublicKey } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CertificateAuthority, createSigningKey, type CertFiles, type SigningKeyFiles } from './pki.js';

export interface RunPki {
  dir: string;
  ca: CertificateAuthority;
  etcdCa: CertificateAuthority;
  frontProxyCa: CertificateAuthority;
  testCa: CertificateAuthority;
  apiServing: CertFiles;
  admin: CertFiles;
  etcdServing: CertFiles;
  etcdClient: CertFiles;
  frontProxyClient: CertFiles;
  oidcServing: CertFiles;
  serviceAccountKey: SigningKeyFiles;
  oidcKey: SigningKeyFiles;
  /** The OIDC issuer's public key set, as its JWKS endpoint serves it. */
  oidcJwksFile: string;
}

export const ADMIN_USER = 'agentrail-e2e-admin';
export const FRONT_PROXY_CLIENT = 'front-proxy-client';
export const TEST_CA_NAME = 'test-ca';

export function createRunPki(dir: string): RunPki {
  const ca = CertificateAuthority.create(dir, 'ca', 'agentrail-e2e-ca');
  const etcdCa = CertificateAuthority.create(dir, 'etcd-ca', 'agentrail-e2e-etcd-ca');
  const frontProxyCa = CertificateAuthority.create(dir, 'front-proxy-ca', 'agentrail-e2e-front-proxy-ca');
  const testCa = CertificateAuthority.create(dir, TEST_CA_NAME, 'agentrail-e2e-test-ca');
  const loopback = ['127.0.0.1', 'localhost'];
  const oidcKey = createSigningKey(dir, 'oidc-signing');
  const oidcJwksFile = join(dir, 'oidc-jwks.json');
  const jwk = createPublicKey(readFileSync(oidcKey.publicKeyFile)).export({ format: 'jwk' });
  writeFileSync(oidcJwksFile, JSON.stringify({ keys: [{ ...jwk, kid: oidcKey.kid, use: 'sig', alg: 'ES256' }] }));
  return {
    dir,
    ca,
    etcdCa,
    frontProxyCa,
    testCa,
    apiServing: ca.issue({
      name: 'apiserver',
      commonName: 'kube-apiserver',
      // The in-cluster names too, so a certificate check by a client that uses them passes.
      hosts: [...loopback, 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', '10.0.0.1'],
      usage: 'server',
    }),
    admin: ca.issue({ name: 'admin', commonName: ADMIN_USER, organizations: ['system:masters'], usage: 'client' }),
    etcdServing: etcdCa.issue({ name: 'etcd-server', commonName: 'etcd', hosts: loopback, usage: 'server+client' }),
    etcdClient: etcdCa.issue({ name: 'apiserver-etcd-client', commonName: 'kube-apiserver-etcd-client', usage: 'client' }),
    frontProxyClient: frontProxyCa.issue({ name: FRONT_PROXY_CLIENT, commonName: FRONT_PROXY_CLIENT, usage: 'client' }),
    oidcServing: testCa.issue({ name: 'oidc-issuer', commonName: 'oidc-issuer', hosts: loopback, usage: 'server' }),
    serviceAccountKey: createSigningKey(dir, 'service-account'),
    oidcKey,
    oidcJwksFile,
  };
}

/**
 * kubectl credential plugin for the test cluster's OIDC users: prints an
 * ExecCredential with a fresh ID token, as kubelogin does on a real cluster.
 *   node --import ./ts-resolve.mjs mint-token.ts <cluster.json> <user> [group…]
 */
import { readFileSync } from 'node:fs';
import { Cluster, type ClusterInfo } from './cluster.js';

const [clusterFile, user, ...groups] = process.argv.slice(2);
if (!clusterFile || !user) {
  console.error('usage: mint-token.ts <cluster.json> <user> [group…]');
  process.exit(2);
}
const ttlSeconds = 3600;
const cluster = new Cluster(JSON.parse(readFileSync(clusterFile, 'utf8')) as ClusterInfo);
const token = await cluster.mintToken({ user, groups, ttlSeconds });
process.stdout.write(JSON.stringify({
  apiVersion: 'client.authentication.k8s.io/v1',
  kind: 'ExecCredential',
  status: { token, expirationTimestamp: new Date(Date.now() + ttlSeconds * 1000).toISOString() },
}));

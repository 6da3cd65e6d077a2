/**
 * Two instances in two Node processes (one Express, one Koa) sharing a real three-node Redis
 * Cluster that this suite starts on loopback (test/fixtures/redis-cluster.ts), through an ioredis
 * `Cluster` client: the same fleet scenarios as on a single Redis.
 */
import { afterAll, beforeAll } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { createDpopHolder, createTestIssuer, type DpopHolder, type TestIssuer } from '@tollgate/testing';
import { startInstance, type Instance } from './fixtures/instances.js';
import { startRedisCluster, type RedisCluster } from './fixtures/redis-cluster.js';
import { describeFleetScenarios } from './fixtures/fleet-scenarios.js';

const ORIGIN = 'https://api.tollgate.test';
let idp: TestIssuer;
let holder: DpopHolder;
let cluster: RedisCluster;
let a: Instance;
let b: Instance;

beforeAll(async () => {
  [idp, holder, cluster] = await Promise.all([createTestIssuer(), createDpopHolder(), startRedisCluster()]);
  const env = {
    REDIS_CLUSTER: cluster.nodes.map((n) => `${n.host}:${n.port}`).join(','), PREFIX: `fleet:${randomUUID()}:`,
    ISSUER: idp.issuer, AUDIENCE: idp.audience, JWKS_URI: idp.jwksUri, ORIGIN,
  };
  [a, b] = await Promise.all([
    startInstance('test/fixtures/replay-server.ts', { ...env, FRAMEWORK: 'express' }),
    startInstance('test/fixtures/replay-server.ts', { ...env, FRAMEWORK: 'koa' }),
  ]);
}, 90_000);

afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  await cluster?.stop();
  await idp?.close();
});

describeFleetScenarios('a fleet of two processes on Redis Cluster', () => ({ a, b, idp, holder, origin: ORIGIN }));

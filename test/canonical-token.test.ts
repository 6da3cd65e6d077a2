/**
 * One token, one spelling, against Express 4, Express 5, Koa 2 and Koa 3. The spare bits of a
 * signature's last base64url character and `=` padding give one RS256 token 32 spellings that a
 * lenient decoder verifies alike; each would get its own rate-limit budget, cache entry and
 * audit fingerprint. Only the minted spelling is accepted.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { createTestIssuer, type TestIssuer } from '@tollgate/testing';
import type { AuditEvent } from '@tollgate/core';
import { eachFramework, type Framework } from './harness.js';
import { respellings } from './respell.js';

let rsa: TestIssuer;
let ec: TestIssuer;
beforeAll(async () => {
  rsa = await createTestIssuer();
  ec = await createTestIssuer({ algorithm: 'ES256' });
});
afterAll(async () => {
  await rsa.close();
  await ec.close();
});

describe.each(eachFramework)('%s: one token, one spelling', (_name, framework: Framework) => {
  const limited = (idp: TestIssuer, audit?: (event: AuditEvent) => void) => framework.app([{
    method: 'get', path: '/orders',
    guards: (t) => [t.authenticate({ ...idp.authenticateOptions(), ...(audit === undefined ? {} : { audit }) }), t.rateLimitPerToken({ limit: 2, windowMs: 60_000 })],
  }]);
  const send = (server: ReturnType<Framework['app']>, token: string) => request(server).get('/orders').set('Authorization', `Bearer ${token}`);

  it('refuses every re-spelling of an RS256 signature, so the token keeps one budget of 2', async () => {
    const events: AuditEvent[] = [];
    const server = limited(rsa, (event) => events.push(event));
    const token = await rsa.mint({ scope: 'orders:read' });
    const others = respellings(token);
    expect(others).toHaveLength(31); // 16 values of the spare bits, with and without "==", less the original
    expect((await send(server, token)).status).toBe(200);
    for (const spelling of others) {
      const response = await send(server, spelling);
      expect(response.status).toBe(401);
      expect(response.headers['www-authenticate']).toContain('error="invalid_token"');
    }
    expect((await send(server, token)).status).toBe(200);
    expect((await send(server, token)).status).toBe(429);
    // every accepted request carries the one fingerprint; none of the spellings was accepted
    const accepted = events.filter((e) => e.type === 'authenticated');
    expect(new Set(accepted.map((e) => e.fingerprint))).toEqual(new Set([accepted[0]!.fingerprint]));
    expect(events.filter((e) => e.type === 'rejected' && e.reason === 'non_canonical')).toHaveLength(31);
  });

  it('refuses re-spellings of an ES256 signature, also after the token was cached', async () => {
    const server = limited(ec);
    const token = await ec.mint({ scope: 'orders:read' });
    expect((await send(server, token)).status).toBe(200);
    for (const spelling of respellings(token)) expect((await send(server, spelling)).status).toBe(401);
  });
});

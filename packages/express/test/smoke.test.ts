import { describe, expect, it, afterAll, beforeAll } from '@jest/globals';
import express from 'express';
import request from 'supertest';
import { createTestIssuer, type TestIssuer } from '@tollgate/testing';
import { authenticate, requireScopes } from '@tollgate/express';

let idp: TestIssuer;
beforeAll(async () => { idp = await createTestIssuer(); });
afterAll(async () => { await idp.close(); });

describe('smoke', () => {
  it('passes a valid token and rejects others', async () => {
    const app = express();
    app.get('/orders', authenticate(idp.authenticateOptions()), requireScopes('orders:read'), (req, res) => { res.json({ sub: req.auth?.subject }); });
    const ok = await request(app).get('/orders').set('Authorization', `Bearer ${await idp.mint({ scope: 'orders:read' })}`);
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ sub: 'user-1' });
    const none = await request(app).get('/orders');
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Bearer');
    const forbidden = await request(app).get('/orders').set('Authorization', `Bearer ${await idp.mint({ scope: 'orders:write' })}`);
    expect(forbidden.status).toBe(403);
    expect(forbidden.headers['www-authenticate']).toContain('insufficient_scope');
  });
});

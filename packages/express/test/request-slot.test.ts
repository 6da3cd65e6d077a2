/**
 * `req.auth` and `req.rateLimit` on Express 4 and 5: set without an own property on the request
 * (each one added to an Express request builds a new hidden class in V8), yet read and written as
 * before by handlers, sub-apps and other middleware.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import express5, { type NextFunction, type Request, type Response } from 'express';
import express4 from 'express4';
import request from 'supertest';
import { createTestIssuer, type TestIssuer } from '@tollgate/testing';
import { authenticate, rateLimitPerToken, requireScopes, type AuthContext } from '@tollgate/express';
import { requestSlot } from '../src/request-slot.js';

let idp: TestIssuer;
beforeAll(async () => { idp = await createTestIssuer(); });
afterAll(async () => { await idp.close(); });

type Limited = Request & { rateLimit?: { key: string } };

describe.each([
  ['Express 4', express4 as unknown as typeof express5],
  ['Express 5', express5],
] as const)('%s', (_name, express) => {
  const bearer = async () => `Bearer ${await idp.mint({ sub: 'alice', scope: 'orders:read' })}`;

  it('gives handlers req.auth and req.rateLimit, neither an own property of the request nor a visible local', async () => {
    const app = express();
    app.get('/r', authenticate(idp.authenticateOptions()), requireScopes('orders:read'), rateLimitPerToken({ limit: 5, windowMs: 60_000 }), (req: Request, res: Response) => {
      res.json({
        subject: req.auth?.subject,
        key: (req as Limited).rateLimit?.key,
        own: ['auth', 'rateLimit'].filter((name) => Object.hasOwn(req, name)),
        locals: Object.keys(res.locals),
      });
    });
    const response = await request(app).get('/r').set('Authorization', await bearer());
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ subject: 'alice', key: expect.stringMatching(/^token:/), own: [], locals: [] });
  });

  it('keeps req.auth per request: a later request never sees an earlier one, an unauthenticated one sees none', async () => {
    const app = express();
    const subject = (req: Request, res: Response) => { res.json({ subject: req.auth?.subject ?? null }); };
    app.get('/open', subject);
    app.get('/r', authenticate(idp.authenticateOptions()), subject);
    const agent = request(app);
    expect((await agent.get('/r').set('Authorization', await bearer())).body).toEqual({ subject: 'alice' });
    expect((await agent.get('/open')).body).toEqual({ subject: null });
    expect((await agent.get('/r').set('Authorization', `Bearer ${await idp.mint({ sub: 'bob' })}`)).body).toEqual({ subject: 'bob' });
  });

  it('keeps req.auth when a later middleware replaces res.locals', async () => {
    const app = express();
    app.get('/r', authenticate(idp.authenticateOptions()), (_req: Request, res: Response, next: NextFunction) => {
      res.locals = { page: 'orders' };
      next();
    }, requireScopes('orders:read'), (req: Request, res: Response) => {
      res.json({ subject: req.auth?.subject, locals: res.locals });
    });
    const response = await request(app).get('/r').set('Authorization', await bearer());
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ subject: 'alice', locals: { page: 'orders' } });
  });

  it('shows the context set in a mounted sub-app to the parent app afterwards, and lets other middleware replace it', async () => {
    const sub = express();
    sub.use(authenticate(idp.authenticateOptions()));
    const parent = express();
    parent.use(sub);
    parent.get('/r', (req: Request, _res: Response, next: NextFunction) => {
      const seen = req.auth?.subject;
      req.auth = { ...req.auth!, subject: `${seen}-replaced` } as AuthContext;
      next();
    }, (req: Request, res: Response) => {
      res.json({ subject: req.auth?.subject });
    });
    expect((await request(parent).get('/r').set('Authorization', await bearer())).body).toEqual({ subject: 'alice-replaced' });
  });
});

describe('requestSlot', () => {
  it('gives a request that is not an Express one a plain own property', () => {
    const set = requestSlot<number>('tollgateTestSlot');
    const plain = {} as Request;
    set(plain, 7);
    expect(Object.hasOwn(plain, 'tollgateTestSlot')).toBe(true);
    expect((plain as unknown as { tollgateTestSlot: number }).tollgateTestSlot).toBe(7);
  });
});

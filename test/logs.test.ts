/**
 * What reaches a log when a token is refused: the frameworks' default handlers print the error
 * (Express 5: `console.error(err)`, cause included), so the error must carry no verified claim.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { inspect } from 'node:util';
import request from 'supertest';
import type { Application } from 'express';
import { createAuthenticator, LibraryErrorSummary, TollgateError } from '@tollgate/core';
import { createTestIssuer, type TestIssuer } from '@tollgate/testing';
import { frameworks } from './harness.js';

const PERSONAL = 'alice.personal@example.com';
let idp: TestIssuer;
beforeAll(async () => { idp = await createTestIssuer(); });
afterAll(async () => { await idp.close(); });

const refusedTokens = (): Array<[string, () => Promise<string>, string]> => [
  ['expired', () => idp.mint({ email: PERSONAL, name: 'Alice Personal' }, { expiresIn: -60 }), 'exp'],
  ['for another audience', () => idp.mint({ email: PERSONAL, aud: 'https://elsewhere.test' }), 'aud'],
  ['not yet valid', () => idp.mint({ email: PERSONAL, nbf: Math.floor(Date.now() / 1000) + 600 }), 'nbf'],
];

describe('a refused token leaves no claim in the error', () => {
  it.each(refusedTokens())('%s: the cause keeps the code and claim name only', async (_what, mint, claim) => {
    const token = await mint();
    const error = await createAuthenticator(idp.authenticateOptions()).authenticate({ method: 'GET', url: '/', headers: { authorization: `Bearer ${token}` } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TollgateError);
    const { cause } = error as TollgateError;
    expect(cause).toBeInstanceOf(LibraryErrorSummary);
    expect(cause).toMatchObject({ code: expect.stringMatching(/^ERR_JWT_/), claim });
    const printed = inspect(error, { depth: Infinity, showHidden: true });
    expect(printed).not.toContain(PERSONAL);
    expect(printed).not.toContain('Alice Personal');
    expect(printed).not.toContain(token.split('.')[1]);
  });
});

describe.each(frameworks.filter((f) => f.name.startsWith('Express')).map((f) => [f.name, f] as const))('%s default error handler in production', (_name, framework) => {
  it.each(refusedTokens())('a token %s is logged without its claims', async (_what, mint) => {
    const app = framework.app([{ method: 'get', path: '/orders', guards: (t) => [t.authenticate(idp.authenticateOptions())] }]) as unknown as Application;
    app.set('env', 'production');
    const logged: unknown[][] = [];
    const spy = jest.spyOn(console, 'error').mockImplementation((...args: unknown[]) => { logged.push(args); });
    try {
      const response = await request(app).get('/orders').set('Authorization', `Bearer ${await mint()}`);
      expect(response.status).toBe(401);
      // finalhandler logs on a later turn of the event loop (setImmediate): let it.
      for (let i = 0; i < 100 && logged.length === 0; i += 1) await new Promise((resolve) => setImmediate(resolve));
    } finally {
      spy.mockRestore();
    }
    expect(logged.length).toBeGreaterThan(0); // the handler did log: the check below is not vacuous
    const text = logged.map((args) => args.map((a) => (typeof a === 'string' ? a : inspect(a, { depth: Infinity }))).join(' ')).join('\n');
    expect(text).toContain('TollgateError');
    expect(text).not.toContain(PERSONAL);
  });
});

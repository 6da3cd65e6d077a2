import type { AuthenticateOptions } from '@tollgate/core';

/**
 * The token settings of the example apps. The demo passes its embedded dev issuer's settings;
 * run on their own (or audited by `tollgate audit`), the apps read them from the environment.
 * Nothing is fetched until the first request.
 */
export function authOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): AuthenticateOptions {
  const issuer = env.TOLLGATE_ISSUER ?? 'http://127.0.0.1:4100';
  return {
    issuer,
    audience: env.TOLLGATE_AUDIENCE ?? 'https://api.tollgate.test',
    jwksUri: env.TOLLGATE_JWKS_URI ?? `${issuer}/.well-known/jwks.json`,
    algorithms: ['RS256'],
  };
}

/** The `acr` of a multi-factor login at the dev issuer: what the refund route's step-up asks for. */
export const MFA = 'urn:tollgate:acr:mfa';

/** An in-memory order book, enough for the examples to behave like an API. */
export interface Order {
  id: string;
  item: string;
  owner: string;
}

export function createOrderBook(): { list(): Order[]; get(id: string): Order | undefined; add(item: string, owner: string): Order; remove(id: string): boolean } {
  const orders = new Map<string, Order>([['1', { id: '1', item: 'espresso beans', owner: 'user-1' }]]);
  let next = 2;
  return {
    list: () => [...orders.values()],
    get: (id) => orders.get(id),
    add(item, owner) {
      const order = { id: String(next++), item, owner };
      orders.set(order.id, order);
      return order;
    },
    remove: (id) => orders.delete(id),
  };
}

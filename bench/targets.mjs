// The rows of `npm run bench`: each builds one server (in its own child process, see server.mjs)
// on the same route, `GET /orders` needing the scope `orders:read`, with the same keys.
// Modules are imported inside `build`, so the runner can list the rows without loading them.
import { redactUrl } from './lib/config.mjs';
import { importFromRoot } from './lib/root.mjs';

export const ROUTE = '/orders';
export const SCOPE = 'orders:read';
/** High enough never to trip during a run (the limiter still counts every request). */
export const RATE_LIMIT = 1_000_000_000;
export const WINDOW_MS = 60_000;

const BODY = { orders: [] };

/** A row that cannot run here (no Redis reachable): reported, not faked. */
export class NotAvailable extends Error {
  name = 'NotAvailable';
}

function expressHandler(_req, res) {
  res.json(BODY);
}

function koaHandler(ctx) {
  ctx.body = BODY;
}

/** An Express app with `GET /orders` behind `handlers`, and the one-line error handler most apps have. */
async function expressServer(...handlers) {
  const { default: express } = await import('express');
  const app = express();
  app.disable('x-powered-by');
  app.get(ROUTE, ...handlers, expressHandler);
  app.use(function renderError(err, _req, res, _next) {
    const status = Number.isInteger(err?.status) ? err.status : 500;
    if (err?.headers !== null && typeof err?.headers === 'object') res.set(err.headers);
    res.status(status).end();
  });
  return { handler: app };
}

async function koaApp() {
  const [{ default: Koa }, { default: Router }] = await Promise.all([import('koa'), import('@koa/router')]);
  const app = new Koa();
  app.silent = true;
  return { app, router: new Router() };
}

function tollgateOptions(issuer, extra = {}) {
  return { issuer: issuer.issuer, audience: issuer.audience, jwksUri: issuer.jwksUri, algorithms: [issuer.algorithm], ...extra };
}

/**
 * A node-redis client whose raw commands are counted: the Redis stores of these rows send every
 * command through `sendCommand`, so `counters.redis` is the number of Redis round trips.
 */
async function countedRedis(ctx, counters) {
  const { createClient } = await import('redis');
  const client = createClient({ url: ctx.redisUrl, socket: { connectTimeout: 2000, reconnectStrategy: false } });
  client.on('error', () => { /* surfaced as failed requests */ });
  try {
    await client.connect();
  } catch (error) {
    throw new NotAvailable(`no Redis at ${redactUrl(ctx.redisUrl)} (${error.message})`);
  }
  const send = client.sendCommand.bind(client);
  client.sendCommand = (args, options) => {
    counters.redis++;
    return send(args, options);
  };
  return client;
}

async function redisRateLimitStore(ctx, client, name) {
  const { RedisStore } = await import('rate-limit-redis');
  return new RedisStore({ sendCommand: (...args) => client.sendCommand(args), prefix: `${ctx.prefix}rl:${name}:` });
}

async function expressFullStack(ctx, counters, { alg = 'RS256', cache, redisLimit = false, replay = false } = {}) {
  const { authenticate, preventReplay, rateLimitPerToken, requireScopes } = await import('@tollgate/express');
  let redis;
  const guards = [];
  if (redisLimit || replay) redis = await countedRedis(ctx, counters);
  if (replay) {
    const { RedisNonceStore } = await import('@tollgate/redis');
    guards.push(preventReplay({ store: new RedisNonceStore({ client: redis, prefix: `${ctx.prefix}nonce:` }) }));
  }
  const store = redisLimit ? await redisRateLimitStore(ctx, redis, 'express') : undefined;
  const built = await expressServer(
    authenticate(tollgateOptions(ctx.issuers[alg], cache === undefined ? {} : { cache })),
    requireScopes(SCOPE),
    ...guards,
    rateLimitPerToken({ limit: RATE_LIMIT, windowMs: WINDOW_MS, ...(store === undefined ? {} : { store }) }),
  );
  return { ...built, close: async () => redis?.destroy() };
}

/**
 * One hand-written middleware on raw jose: Bearer header, `jwtVerify` on the remote JWKS, a scope
 * check. `cached` keeps verified payloads in an unbounded Map (fine for the bench's fixed pool,
 * never for an app): the least a cached verify can cost in Express.
 */
async function rawJoseServer(ctx, { cached }) {
  const { createRemoteJWKSet, jwtVerify } = await importFromRoot('jose');
  const { issuer, audience, jwksUri, algorithm } = ctx.issuers.RS256;
  const keys = createRemoteJWKSet(new URL(jwksUri));
  const verifyOptions = { issuer, audience, algorithms: [algorithm] };
  const verified = cached ? new Map() : undefined;
  return expressServer(function rawJose(req, res, next) {
    const header = req.headers.authorization;
    if (typeof header !== 'string' || !header.startsWith('Bearer ')) {
      res.status(401).set('WWW-Authenticate', 'Bearer').end();
      return;
    }
    const token = header.slice(7);
    const pass = (payload) => {
      const scopes = typeof payload.scope === 'string' ? payload.scope.split(' ') : [];
      if (!scopes.includes(SCOPE)) {
        res.status(403).set('WWW-Authenticate', `Bearer error="insufficient_scope", scope="${SCOPE}"`).end();
        return;
      }
      req.auth = payload;
      next();
    };
    const hit = verified?.get(token);
    if (hit !== undefined && hit.exp * 1000 > Date.now()) {
      pass(hit);
      return;
    }
    jwtVerify(token, keys, verifyOptions).then(({ payload }) => {
      verified?.set(token, payload);
      pass(payload);
    }, () => {
      res.status(401).set('WWW-Authenticate', 'Bearer error="invalid_token"').end();
    });
  });
}

async function oauth2BearerServer(ctx) {
  const { auth, requiredScopes } = await import('express-oauth2-jwt-bearer');
  const { issuer, audience, jwksUri, algorithm } = ctx.issuers.RS256;
  return expressServer(auth({ issuer, audience, jwksUri, tokenSigningAlg: algorithm }), requiredScopes(SCOPE));
}

/**
 * Every row. `bare` marks a framework's bare row, which the others' ratios are taken against;
 * `oneToken` rows get one token, repeated, instead of the rotated pool.
 */
export const TARGETS = [
  {
    id: 'express-bare', label: 'bare Express 5', framework: 'express', bare: true,
    async build() {
      return expressServer();
    },
  },
  {
    id: 'tg-express-auth', label: 'Tollgate Express: authenticate + requireScopes (RS256 JWKS)', framework: 'express',
    async build(ctx) {
      const { authenticate, requireScopes } = await import('@tollgate/express');
      return expressServer(authenticate(tollgateOptions(ctx.issuers.RS256)), requireScopes(SCOPE));
    },
  },
  {
    id: 'tg-express-full', label: 'Tollgate Express full stack: + rateLimitPerToken (memory)', framework: 'express', rateLimited: true,
    build: (ctx, counters) => expressFullStack(ctx, counters),
  },
  {
    id: 'tg-express-full-one', label: 'Tollgate Express full stack, one token repeated', framework: 'express', rateLimited: true, oneToken: true,
    build: (ctx, counters) => expressFullStack(ctx, counters),
  },
  {
    id: 'tg-express-full-nocache', label: 'Tollgate Express full stack, cache: false', framework: 'express', rateLimited: true,
    build: (ctx, counters) => expressFullStack(ctx, counters, { cache: false }),
  },
  {
    id: 'tg-express-auth-nocache', label: 'Tollgate Express: authenticate + requireScopes, cache: false', framework: 'express',
    async build(ctx) {
      const { authenticate, requireScopes } = await import('@tollgate/express');
      return expressServer(authenticate(tollgateOptions(ctx.issuers.RS256, { cache: false })), requireScopes(SCOPE));
    },
  },
  {
    id: 'tg-express-full-es256', label: 'Tollgate Express full stack, ES256', framework: 'express', alg: 'ES256', rateLimited: true,
    build: (ctx, counters) => expressFullStack(ctx, counters, { alg: 'ES256' }),
  },
  {
    id: 'jose-express', label: 'raw jose + Express (createRemoteJWKSet + jwtVerify + scope check)', framework: 'express',
    build: (ctx) => rawJoseServer(ctx, { cached: false }),
  },
  // A yardstick, not a product: the least a cached verify can cost in Express.
  {
    id: 'floor-express-cached', label: 'yardstick: hand-written cached jose middleware, one layer (unbounded Map + scope check)', framework: 'express',
    build: (ctx) => rawJoseServer(ctx, { cached: true }),
  },
  {
    id: 'peer-oauth2-bearer', label: 'express-oauth2-jwt-bearer: auth + requiredScopes', framework: 'express',
    build: oauth2BearerServer,
  },
  {
    id: 'peer-oauth2-bearer-one', label: 'express-oauth2-jwt-bearer: auth + requiredScopes, one token repeated', framework: 'express', oneToken: true,
    build: oauth2BearerServer,
  },
  {
    id: 'peer-express-jwt', label: 'express-jwt + jwks-rsa + express-jwt-authz + express-rate-limit', framework: 'express', rateLimited: true,
    async build(ctx) {
      const [{ expressjwt }, { default: jwksRsa }, { default: jwtAuthz }, { rateLimit }] = await Promise.all([
        import('express-jwt'), import('jwks-rsa'), import('express-jwt-authz'), import('express-rate-limit'),
      ]);
      const { issuer, audience, jwksUri, algorithm } = ctx.issuers.RS256;
      return expressServer(
        expressjwt({ secret: jwksRsa.expressJwtSecret({ jwksUri, cache: true, rateLimit: false }), issuer, audience, algorithms: [algorithm] }),
        jwtAuthz([SCOPE], { customUserKey: 'auth' }),
        rateLimit({
          windowMs: WINDOW_MS, limit: RATE_LIMIT, keyGenerator: (req) => req.auth.jti, standardHeaders: 'draft-8', legacyHeaders: false, validate: false,
        }),
      );
    },
  },
  {
    id: 'tg-express-redis-limit', label: 'Tollgate Express full stack, rate limit in Redis (rate-limit-redis)', framework: 'express', rateLimited: true, redis: true,
    build: (ctx, counters) => expressFullStack(ctx, counters, { redisLimit: true }),
  },
  {
    id: 'tg-express-redis', label: 'Tollgate Express full stack + preventReplay, both in Redis (single-use tokens)', framework: 'express',
    rateLimited: true, redis: true, singleUse: true,
    build: (ctx, counters) => expressFullStack(ctx, counters, { redisLimit: true, replay: true }),
  },
  {
    id: 'koa-bare', label: 'bare Koa 3 + @koa/router', framework: 'koa', bare: true,
    async build() {
      const { app, router } = await koaApp();
      router.get(ROUTE, koaHandler);
      app.use(router.routes());
      return { handler: app.callback() };
    },
  },
  {
    id: 'tg-koa-full', label: 'Tollgate Koa full stack: authenticate + requireScopes + rateLimitPerToken', framework: 'koa', rateLimited: true,
    async build(ctx) {
      const { authenticate, rateLimitPerToken, requireScopes } = await import('@tollgate/koa');
      const { app, router } = await koaApp();
      router.get(ROUTE, authenticate(tollgateOptions(ctx.issuers.RS256)), requireScopes(SCOPE),
        rateLimitPerToken({ limit: RATE_LIMIT, windowMs: WINDOW_MS }), koaHandler);
      app.use(router.routes());
      return { handler: app.callback() };
    },
  },
  {
    id: 'peer-koa-jwt', label: 'koa-jwt + jwks-rsa + scope check', framework: 'koa',
    async build(ctx) {
      const [{ default: koaJwt }, { default: jwksRsa }] = await Promise.all([import('koa-jwt'), import('jwks-rsa')]);
      const { issuer, audience, jwksUri, algorithm } = ctx.issuers.RS256;
      const { app, router } = await koaApp();
      router.get(
        ROUTE,
        koaJwt({ secret: jwksRsa.koaJwtSecret({ jwksUri, cache: true, rateLimit: false }), issuer, audience, algorithms: [algorithm] }),
        async function scopeCheck(ctx2, next) {
          const scope = ctx2.state.user?.scope;
          if (typeof scope !== 'string' || !scope.split(' ').includes(SCOPE)) ctx2.throw(403, 'Insufficient scope');
          await next();
        },
        koaHandler,
      );
      app.use(router.routes());
      return { handler: app.callback() };
    },
  },
];

/** The bare row of a framework. */
export function bareOf(target) {
  return TARGETS.find((t) => t.bare && t.framework === target.framework);
}

/**
 * The targets `npm run bench` prints as met or not: `row`'s req/s over `against`'s in the same
 * round (median over rounds) must be at least `atLeast`. The in-process chain targets of issue 19
 * come from `bench:chain`, which `npm run bench` runs after the HTTP rows.
 *
 * Rows added by other work add their targets here, beside their rows above. Issue 19 asks for two:
 *   - the full stacks with metrics and anomaly signals on, ≥ 0.85× bare, e.g.
 *     { issue: 19, row: 'tg-express-full-monitoring', against: 'express-bare', atLeast: 0.85, label: '…' };
 *   - an API key instead of a JWT, ≥ 0.85× bare, e.g.
 *     { issue: 19, row: 'tg-express-api-key', against: 'express-bare', atLeast: 0.85, label: '…' }.
 */
export const GOALS = [
  { issue: 19, row: 'tg-express-full', against: 'express-bare', atLeast: 0.9, label: 'Express full stack (cache on, rotated token pool) ≥ 0.90× bare Express 5' },
  { issue: 19, row: 'tg-express-full-one', against: 'express-bare', atLeast: 0.9, label: 'Express full stack (cache on, one token repeated) ≥ 0.90× bare Express 5' },
  { issue: 19, row: 'tg-express-full', against: 'peer-oauth2-bearer', atLeast: 1.5, label: 'Express full stack ≥ 1.5× express-oauth2-jwt-bearer (rotated token pool)' },
  { issue: 19, row: 'tg-express-full-one', against: 'peer-oauth2-bearer-one', atLeast: 1.5, label: 'Express full stack ≥ 1.5× express-oauth2-jwt-bearer (one token repeated)' },
  { issue: 19, row: 'tg-koa-full', against: 'koa-bare', atLeast: 0.9, label: 'Koa full stack ≥ 0.90× bare Koa 3' },
  { issue: 19, row: 'tg-express-auth-nocache', against: 'jose-express', atLeast: 1.0, label: 'cache off: authenticate + requireScopes ≥ 1.0× raw jose + Express' },
  { issue: 19, row: 'tg-express-full-nocache', against: 'jose-express', atLeast: 0.95, label: 'cache off: full stack ≥ 0.95× raw jose + Express' },
  // Kept from issue 7.
  { issue: 7, row: 'tg-express-full', against: 'peer-express-jwt', atLeast: 2.5, label: 'Express full stack ≥ 2.5× express-jwt stack' },
  { issue: 7, row: 'tg-koa-full', against: 'peer-koa-jwt', atLeast: 5, label: 'Koa full stack ≥ 5× koa-jwt stack' },
];

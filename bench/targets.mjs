// The rows of `npm run bench`: each builds one server (in its own child process, see server.mjs)
// on the same route, `GET /orders` needing the scope `orders:read`, with the same keys.
// Modules are imported inside `build`, so the runner can list the rows without loading them.
import { redactUrl } from './lib/config.mjs';
import { importFromRoot } from './lib/root.mjs';

export const ROUTE = '/orders';
export const SCOPE = 'orders:read';
/** Where the monitored rows serve their metrics (checked before they are measured). */
export const METRICS_ROUTE = '/metrics';
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

/** The anomaly signals of the monitored rows (and of bench:chain's monitored variant): counted, never tripped. */
export const MONITORED_ANOMALIES = Object.freeze({
  clientsPerToken: { max: 3, windowMs: WINDOW_MS, action: 'report' },
  failuresPerClient: { max: 1000, windowMs: WINDOW_MS, blockMs: WINDOW_MS },
});

/**
 * Metrics and anomaly signals as a monitored app runs them (issue 17): `tollgateMetrics()` as the
 * audit sink (so `authenticate` also times itself), `clientsPerToken` reported and
 * `failuresPerClient` counted, in memory or in `RedisAnomalyStore`. Every bench request comes
 * from 127.0.0.1 with its own pool token, so nothing trips: the rows measure the bookkeeping.
 */
async function monitoring(ctx, redis) {
  const { tollgateMetrics } = await import('@tollgate/core');
  const metrics = tollgateMetrics();
  let store;
  if (redis !== undefined) {
    const { RedisAnomalyStore } = await import('@tollgate/redis');
    store = new RedisAnomalyStore({ client: redis, prefix: `${ctx.prefix}anomaly:` });
  }
  const anomalies = { ...(store === undefined ? {} : { store }), ...MONITORED_ANOMALIES };
  return { metrics, options: { audit: metrics.sink, anomalies } };
}

async function expressFullStack(ctx, counters, { alg = 'RS256', cache, redisLimit = false, replay = false, monitored = false } = {}) {
  const { authenticate, metricsEndpoint, preventReplay, rateLimitPerToken, requireScopes } = await import('@tollgate/express');
  let redis;
  const guards = [];
  if (redisLimit || replay || monitored === 'redis') redis = await countedRedis(ctx, counters);
  if (replay) {
    const { RedisNonceStore } = await import('@tollgate/redis');
    guards.push(preventReplay({ store: new RedisNonceStore({ client: redis, prefix: `${ctx.prefix}nonce:` }) }));
  }
  const store = redisLimit ? await redisRateLimitStore(ctx, redis, 'express') : undefined;
  const watched = monitored === false ? undefined : await monitoring(ctx, monitored === 'redis' ? redis : undefined);
  const built = await expressServer(
    authenticate(tollgateOptions(ctx.issuers[alg], { ...(cache === undefined ? {} : { cache }), ...watched?.options })),
    requireScopes(SCOPE),
    ...guards,
    rateLimitPerToken({ limit: RATE_LIMIT, windowMs: WINDOW_MS, ...(store === undefined ? {} : { store }) }),
  );
  if (watched !== undefined) built.handler.get(METRICS_ROUTE, metricsEndpoint(watched.metrics));
  return { ...built, close: async () => redis?.destroy() };
}

/**
 * A loopback RFC 7662 endpoint that stands in for the authorization server of the pool's tokens:
 * `active: true` with the claims of a token it can verify (the issuer's JWKS), `active: false`
 * for anything else. The introspection row configures no key source, so Tollgate treats every
 * pool token as opaque: introspected once, then answered from the cache.
 */
async function introspectionEndpoint(issuer) {
  const [{ createServer }, { createRemoteJWKSet, jwtVerify }] = await Promise.all([import('node:http'), importFromRoot('jose')]);
  const keys = createRemoteJWKSet(new URL(issuer.jwksUri));
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => { body += chunk; });
    req.on('end', () => {
      const answer = (value) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(value));
      jwtVerify(new URLSearchParams(body).get('token') ?? '', keys, { issuer: issuer.issuer, algorithms: [issuer.algorithm] })
        .then(({ payload }) => answer({ active: true, ...payload }), () => answer({ active: false }));
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${server.address().port}/introspect`, close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve); }) };
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

/**
 * The API-key store of a row: memory, Redis (counted node-redis client, keys under the run's
 * prefix) or PostgreSQL (a table of its own, dropped at close).
 */
async function apiKeyStore(ctx, counters, kind) {
  if (kind === 'memory') {
    const { MemoryApiKeyStore } = await import('@tollgate/core');
    return { store: new MemoryApiKeyStore(), close: async () => {} };
  }
  if (kind === 'redis') {
    const { RedisApiKeyStore } = await import('@tollgate/redis');
    const client = await countedRedis(ctx, counters);
    return { store: new RedisApiKeyStore({ client, prefix: `${ctx.prefix}{apikeys}:` }), close: async () => client.destroy() };
  }
  const [{ default: pg }, { PostgresApiKeyStore }] = await Promise.all([importFromRoot('pg'), import('@tollgate/postgres')]);
  const pool = new pg.Pool({ connectionString: ctx.databaseUrl, max: 4, connectionTimeoutMillis: 2000 });
  pool.on('error', () => { /* surfaced as failed requests */ });
  const table = `${ctx.prefix.replace(/\W+/g, '_')}${kind}_${process.pid}`.slice(0, 63);
  const store = new PostgresApiKeyStore({ pool, table });
  try {
    await store.migrate();
  } catch (error) {
    await pool.end().catch(() => {});
    throw new NotAvailable(`no PostgreSQL at ${redactUrl(ctx.databaseUrl)} (${error.message})`);
  }
  return { store, close: async () => { await pool.query(`DROP TABLE IF EXISTS "${table}"`).catch(() => {}); await pool.end(); } };
}

/**
 * Tollgate Express with JWTs and API keys on one route (`authenticate({ ...jwt, apiKeys })` +
 * `requireScopes`), driven with `ctx.pool` keys it creates itself. `cacheTtlMs: 0` makes every
 * request a store lookup (the cold path); the default keeps verified records for 10 s (cache hits).
 */
async function apiKeyServer(ctx, counters, kind, { cold }) {
  const { ApiKeys, authenticate, requireScopes } = await import('@tollgate/express');
  const { store, close } = await apiKeyStore(ctx, counters, kind);
  const apiKeys = new ApiKeys({ store, ...(cold ? { cacheTtlMs: 0 } : {}) });
  const tokens = [];
  for (let i = 0; i < ctx.pool; i++) tokens.push((await apiKeys.create({ name: `bench ${i}`, subject: `svc-${i}`, scopes: [SCOPE, 'profile'] })).key);
  const built = await expressServer(authenticate(tollgateOptions(ctx.issuers.RS256, { apiKeys })), requireScopes(SCOPE));
  return { ...built, tokens, close };
}

const apiKeyRows = ['memory', 'redis', 'postgres'].flatMap((kind) => [false, true].map((cold) => ({
  id: `tg-express-apikey-${kind}${cold ? '-cold' : ''}`,
  label: `Tollgate Express: API key (${kind === 'memory' ? 'Memory' : kind === 'redis' ? 'Redis' : 'Postgres'}ApiKeyStore), ${cold ? 'cold: a store lookup per request (cacheTtlMs: 0)' : 'cache hit'} + requireScopes`,
  framework: 'express', apiKeys: true, ...(kind === 'redis' ? { redis: true } : {}),
  build: (ctx, counters) => apiKeyServer(ctx, counters, kind, { cold }),
})));

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
    id: 'tg-express-introspection', label: 'Tollgate Express: authenticate (introspected opaque tokens, cache hit) + requireScopes', framework: 'express',
    async build(ctx) {
      const { authenticate, requireScopes } = await import('@tollgate/express');
      const endpoint = await introspectionEndpoint(ctx.issuers.RS256);
      const { issuer, audience } = ctx.issuers.RS256;
      const built = await expressServer(
        authenticate({ issuer, audience, introspection: { endpoint: endpoint.url, clientId: 'bench', clientSecret: 'bench-secret', cacheTtlMs: 3_600_000 } }),
        requireScopes(SCOPE),
      );
      return { ...built, close: endpoint.close };
    },
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
  ...apiKeyRows,
  {
    id: 'tg-express-full-monitored', label: 'Tollgate Express full stack + metrics + anomaly signals (memory)', framework: 'express', rateLimited: true, monitored: true,
    build: (ctx, counters) => expressFullStack(ctx, counters, { monitored: 'memory' }),
  },
  {
    id: 'tg-express-full-monitored-redis', label: 'Tollgate Express full stack + metrics + anomaly signals in Redis (RedisAnomalyStore)', framework: 'express',
    rateLimited: true, monitored: true, redis: true,
    build: (ctx, counters) => expressFullStack(ctx, counters, { monitored: 'redis' }),
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
    id: 'tg-koa-full-monitored', label: 'Tollgate Koa full stack + metrics + anomaly signals (memory)', framework: 'koa', rateLimited: true, monitored: true,
    async build(ctx) {
      const { authenticate, metricsEndpoint, rateLimitPerToken, requireScopes } = await import('@tollgate/koa');
      const watched = await monitoring(ctx);
      const { app, router } = await koaApp();
      router.get(ROUTE, authenticate(tollgateOptions(ctx.issuers.RS256, watched.options)), requireScopes(SCOPE),
        rateLimitPerToken({ limit: RATE_LIMIT, windowMs: WINDOW_MS }), koaHandler);
      router.get(METRICS_ROUTE, metricsEndpoint(watched.metrics));
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
  // Issue 17: metrics and anomaly signals cost little on the cache-hit path.
  { issue: 17, row: 'tg-express-full-monitored', against: 'tg-express-full', atLeast: 0.9, label: 'Express full stack + metrics + anomalies ≥ 0.9× the same stack without' },
  { issue: 17, row: 'tg-koa-full-monitored', against: 'tg-koa-full', atLeast: 0.9, label: 'Koa full stack + metrics + anomalies ≥ 0.9× the same stack without' },
  { issue: 19, row: 'tg-express-full-monitored', against: 'express-bare', atLeast: 0.85, label: 'Express full stack + metrics + anomalies ≥ 0.85× bare Express 5' },
  { issue: 19, row: 'tg-koa-full-monitored', against: 'koa-bare', atLeast: 0.85, label: 'Koa full stack + metrics + anomalies ≥ 0.85× bare Koa 3' },
  { issue: 19, row: 'tg-express-apikey-memory', against: 'express-bare', atLeast: 0.85, label: 'API key (memory store, cache hit) ≥ 0.85× bare Express 5' },
  // Issue 16: an API-key cache hit costs no more than a JWT cache hit; issue 20: an introspection hit is near one.
  { issue: 16, row: 'tg-express-apikey-memory', against: 'tg-express-auth', atLeast: 0.95, label: 'API key cache hit ≥ 0.95× JWT cache hit (authenticate + requireScopes)' },
  { issue: 20, row: 'tg-express-introspection', against: 'tg-express-auth', atLeast: 0.95, label: 'introspection cache hit ≥ 0.95× JWT cache hit (authenticate + requireScopes)' },
  // Kept from issue 7.
  { issue: 7, row: 'tg-express-full', against: 'peer-express-jwt', atLeast: 2.5, label: 'Express full stack ≥ 2.5× express-jwt stack' },
  { issue: 7, row: 'tg-koa-full', against: 'peer-koa-jwt', atLeast: 5, label: 'Koa full stack ≥ 5× koa-jwt stack' },
];

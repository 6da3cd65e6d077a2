// Drives one server with autocannon, rotating the bearer token on every request.
import autocannon from 'autocannon';
import { ROUTE } from '../targets.mjs';

/**
 * Runs autocannon against 127.0.0.1:`port` for `duration` seconds, or for exactly `amount`
 * requests when given (single-use tokens: one token per request, never reused). Each request
 * takes the next token of `tokens`.
 */
export async function drive(port, { tokens, connections, duration, amount }) {
  let next = 0;
  const rotate = amount === undefined;
  const started = process.hrtime.bigint();
  const result = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections,
    ...(amount === undefined ? { duration } : { amount }),
    timeout: 10,
    requests: [{
      method: 'GET',
      path: ROUTE,
      setupRequest(req) {
        const token = tokens[next];
        next = next + 1 === tokens.length ? (rotate ? 0 : next) : next + 1;
        req.headers = { ...req.headers, authorization: `Bearer ${token}` };
        return req;
      },
    }],
  });
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  return {
    requests: result.requests.total,
    rps: result.requests.total / (wallMs / 1000),
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    wallMs,
  };
}

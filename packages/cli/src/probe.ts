import { createServer, request, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { examplePath, type ProbeTarget, type RouteDescription } from '@tollgate/core';
import { finding, routeKey, type Finding } from './finding.js';

/** One request the probe sent. */
export interface ProbeRequest {
  method: string;
  url: string;
  /** The answer's status; undefined when none came within the timeout. */
  status: number | undefined;
  /** Indexes (into the routes) of the recorders the request reached. */
  reached: number[];
}

/** What the probe found, per route index. */
export interface ProbeResult {
  /**
   * Per route: the requests without a token (the URL, then its upper-case and trailing-slash
   * spellings, which case and strict settings may route differently), and the CORS preflight;
   * undefined when no URL could be built.
   */
  probes: ({ plain: ProbeRequest; variants: ProbeRequest[]; preflight: ProbeRequest } | undefined)[];
  /** Route index → the first request without a token that reached its recorder. */
  reachedWithoutToken: Map<number, ProbeRequest>;
  /** Route index → the first preflight that reached its recorder. */
  reachedByPreflight: Map<number, ProbeRequest>;
}

/** The origin the probe's preflights claim: a name that can never resolve (RFC 6761 `.invalid`). */
const PROBE_ORIGIN = 'https://probe.invalid';

function listen(listener: RequestListener): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer(listener);
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

function send(port: number, method: string, url: string, headers: Record<string, string>, timeoutMs: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, method, path: url, headers, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
      res.on('error', () => resolve(res.statusCode));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
    req.end();
  });
}

/** The method a request for the entry uses: `ALL` and opaque `*` entries are asked with GET. */
function probeMethod(route: RouteDescription): string {
  return route.method === 'ALL' || route.method === '*' ? 'GET' : route.method;
}

/**
 * Sends every route of an instrumented app (see the adapters' `probeRoutes`) requests without
 * a token (its URL in three spellings) and a CORS preflight, on a loopback port, and records
 * which recorders each reached.
 * No token is ever sent, so no key is fetched; the app's own handlers were swapped out.
 */
export async function runProbe(target: ProbeTarget, options: { timeoutMs?: number } = {}): Promise<ProbeResult> {
  const timeoutMs = options.timeoutMs ?? 5_000;
  const server = await listen(target.listener as unknown as RequestListener);
  const { port } = server.address() as AddressInfo;
  const result: ProbeResult = { probes: [], reachedWithoutToken: new Map(), reachedByPreflight: new Map() };
  try {
    target.takeReached();
    for (const route of target.routes) {
      const url = route.pattern === undefined ? undefined : examplePath(route.pattern);
      if (url === undefined) {
        result.probes.push(undefined);
        continue;
      }
      const method = probeMethod(route);
      const ask = async (asMethod: string, headers: Record<string, string>, into: Map<number, ProbeRequest>, at = url): Promise<ProbeRequest> => {
        const status = await send(port, asMethod, at, headers, timeoutMs);
        const sent: ProbeRequest = { method: asMethod, url: at, status, reached: target.takeReached() };
        for (const i of sent.reached) if (!into.has(i)) into.set(i, sent);
        return sent;
      };
      const plain = await ask(method, {}, result.reachedWithoutToken);
      const variants: ProbeRequest[] = [];
      for (const variant of new Set([url.toUpperCase(), url.endsWith('/') ? url : `${url}/`])) {
        if (variant !== url) variants.push(await ask(method, {}, result.reachedWithoutToken, variant));
      }
      const preflight = await ask('OPTIONS', { origin: PROBE_ORIGIN, 'access-control-request-method': method, 'access-control-request-headers': 'authorization' }, result.reachedByPreflight);
      result.probes.push({ plain, variants, preflight });
    }
  } finally {
    await new Promise<void>((resolve) => { server.close(() => resolve()); server.closeAllConnections(); });
  }
  return result;
}

/**
 * The probe's findings: a route the report calls protected that a request without a token
 * reached (high: the report is wrong), one whose handler a CORS preflight reached (high), every
 * other recorder reached without a token (info: the report already calls the route open), and
 * every route no URL could be built for (info: nothing was checked).
 */
export function probeFindings(routes: readonly RouteDescription[], result: ProbeResult): Finding[] {
  const out: Finding[] = [];
  routes.forEach((route, i) => {
    if (result.probes[i] === undefined) {
      out.push(finding('probe-not-sent', route, 'The probe could not build a URL from this pattern; nothing was sent, nothing checked.'));
      return;
    }
    const plain = result.reachedWithoutToken.get(i);
    if (plain !== undefined) {
      out.push(route.protected
        ? finding('probe-reached-protected', route, `A request without a token (${routeKey(plain.method, plain.url)}) reached this route's handler, which the report calls protected.`)
        : finding('probe-reached-open', route, `A request without a token (${routeKey(plain.method, plain.url)}) reached this route's handler, as the report says.`));
    }
    const preflight = result.reachedByPreflight.get(i);
    if (preflight !== undefined && route.protected) {
      out.push(finding('probe-preflight-reached', route, `A CORS preflight without a token (${routeKey(preflight.method, preflight.url)}) reached this route's handler.`));
    }
  });
  return out;
}

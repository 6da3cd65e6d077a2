/**
 * One tiny interface over the two Redis clients people already run: ioredis and node-redis
 * (v4 and later). The user creates and owns the client; this package never imports either
 * library at runtime, it only recognises their shape.
 */

/** The part of an ioredis client (`new Redis(…)`) the stores use. */
export interface IORedisClientLike {
  /** ioredis' connection state: `'ready'` once commands can be sent. */
  readonly status: string;
  call(command: string, ...args: (string | number)[]): Promise<unknown>;
  /** Present on ioredis; used once when the client was made with `lazyConnect`. */
  connect?(): Promise<unknown>;
}

/** The part of a node-redis client (`createClient(…)`, then `await client.connect()`) the stores use. */
export interface NodeRedisClientLike {
  /** True while the socket is connected and the handshake is done. */
  readonly isReady: boolean;
  sendCommand(args: string[]): Promise<unknown>;
}

/**
 * The part of a node-redis cluster (`createCluster(…)`, then `await cluster.connect()`) the stores
 * use: its `sendCommand` takes the command's first key, to route it to the node that owns it.
 */
export interface NodeRedisClusterLike {
  readonly isReady: boolean;
  /** The cluster's masters: how a cluster is told apart from a single client. */
  readonly masters: readonly unknown[];
  sendCommand(firstKey: string | undefined, isReadonly: boolean | undefined, args: string[]): Promise<unknown>;
}

/**
 * A client the Redis stores accept: an ioredis instance or `Cluster`, a node-redis v4+ client or
 * cluster. On a cluster, keys that one command touches together must share a hash tag.
 */
export type RedisClientLike = IORedisClientLike | NodeRedisClientLike | NodeRedisClusterLike;

/** A store's command could not be answered: Redis is disconnected or slower than `timeoutMs`. */
export class RedisUnavailableError extends Error {
  override readonly name = 'RedisUnavailableError';
}

/** Sends one command (`['SET', key, …]`) and resolves to its reply, or rejects quickly. */
export type SendCommand = (args: readonly string[]) => Promise<unknown>;

function isIORedis(client: unknown): client is IORedisClientLike {
  // ioredis also has a `sendCommand`, so it must be recognised first, by its `status`.
  const c = client as Partial<IORedisClientLike> | null;
  return typeof c === 'object' && c !== null && typeof c.status === 'string' && typeof c.call === 'function';
}

function isNodeRedis(client: unknown): client is NodeRedisClientLike {
  const c = client as Partial<NodeRedisClientLike> | null;
  return typeof c === 'object' && c !== null && typeof c.isReady === 'boolean' && typeof c.sendCommand === 'function';
}

function isNodeRedisCluster(client: unknown): client is NodeRedisClusterLike {
  return isNodeRedis(client) && Array.isArray((client as unknown as Partial<NodeRedisClusterLike>).masters);
}

/** True when `client` has the shape of one of the supported clients. */
export function isRedisClient(client: unknown): client is RedisClientLike {
  return isIORedis(client) || isNodeRedis(client);
}

/** True for an ioredis `Cluster` or a node-redis cluster: keys are spread over slots. */
export function isRedisCluster(client: RedisClientLike): boolean {
  return isNodeRedisCluster(client) || (client as { isCluster?: unknown }).isCluster === true;
}

/** The key a store's command is routed by: the first key of `EVAL`, else the first argument. */
function firstKey(args: readonly string[]): string | undefined {
  const name = args[0]!.toUpperCase();
  return name === 'EVAL' || name === 'EVALSHA' ? args[3] : args[1];
}

const READ_ONLY = new Set(['GET', 'MGET', 'EXISTS', 'PTTL', 'TTL']);

/**
 * Adapts `client` to {@link SendCommand}. Two rules keep a request from waiting on Redis:
 * a disconnected client is refused at once (the command is never handed to a client queue
 * that would replay it minutes later), and a command that takes longer than `timeoutMs`
 * rejects when the timer fires. Both clients reconnect on their own, and readiness is read on
 * every call, so the stores work again as soon as Redis is back.
 */
export function commandSender(client: RedisClientLike, timeoutMs: number): SendCommand {
  let isReady: () => boolean;
  let send: SendCommand;
  if (isIORedis(client)) {
    isReady = () => {
      // A `lazyConnect` client connects on its first command; ask it to, then refuse this one.
      if (client.status === 'wait') client.connect?.().catch(() => { /* it reports through its own 'error' event */ });
      return client.status === 'ready';
    };
    send = (args) => client.call(args[0]!, ...args.slice(1));
  } else if (isNodeRedisCluster(client)) {
    isReady = () => client.isReady;
    send = (args) => client.sendCommand(firstKey(args), READ_ONLY.has(args[0]!.toUpperCase()), [...args]);
  } else {
    isReady = () => client.isReady;
    send = (args) => client.sendCommand([...args]);
  }
  return function sendCommand(args) {
    if (!isReady()) return Promise.reject(new RedisUnavailableError('Redis is not connected'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new RedisUnavailableError(`Redis did not answer within ${timeoutMs} ms`)), timeoutMs);
      timer.unref();
      const settle = <T>(fn: (value: T) => void) => (value: T): void => { clearTimeout(timer); fn(value); };
      // Promise.resolve().then: a client that throws synchronously still ends in a rejection.
      Promise.resolve().then(() => send(args)).then(settle(resolve), settle(reject));
    });
  };
}

import type { Command } from 'commander';
import { AuditInputError } from './audit-input-error.js';
import { createInput, describeCreated, formatKeyList, parseDuration, withApiKeys, type CreateFlags, type KeysFlags } from './keys-command.js';

/** Where `tollgate keys` writes and what it reads. */
export interface KeysContext {
  stdout(text: string): void;
  env?: Readonly<Record<string, string | undefined>>;
}

function storeOptions(command: Command): Command {
  return command
    .option('--redis <url>', 'the Redis the apps\' RedisApiKeyStore uses (redis://host:6379)')
    .option('--postgres <url>', 'the PostgreSQL the apps\' PostgresApiKeyStore uses (postgres://user@host/db); its table is created if missing')
    .option('--prefix <prefix>', 'the RedisApiKeyStore key prefix (default tollgate:{apikeys}:)')
    .option('--table <table>', 'the PostgresApiKeyStore table (default tollgate_api_keys)')
    .option('--key-prefix <prefix>', 'the prefix of the keys themselves, as in ApiKeys({ prefix }) (default tg)')
    .option('--pepper-env <name>', 'the environment variable holding the apps\' ApiKeys pepper, if they use one');
}

/** Adds `tollgate keys create|list|revoke|rotate` to the program. */
export function addKeysCommand(program: Command, context: KeysContext, done: () => void): void {
  const env = context.env ?? process.env;
  const keys = program.command('keys').description('Issue, list, revoke and rotate the API keys that Tollgate verifies');

  storeOptions(keys.command('create').description('Create a key and print it once (only a salted hash is stored)'))
    .requiredOption('--name <name>', 'a label for people')
    .requiredOption('--subject <sub>', 'who the key acts for (req.auth.subject)')
    .option('--scopes <list>', 'comma-separated scopes')
    .option('--roles <list>', 'comma-separated roles')
    .option('--claims <json>', 'extra claims, a JSON object ({"plan":"pro"})')
    .option('--expires-in <duration>', 'lifetime: 3600, 30m, 24h, 90d (default: never)')
    .option('--remaining <n>', 'a usage cap')
    .option('--refill <amount/interval>', 'refill the cap, e.g. 1000/1d')
    .option('--json', 'print { key, record } as JSON, for scripts')
    .action(async (flags: CreateFlags) => {
      const input = createInput(flags); // usage errors before connecting
      context.stdout(describeCreated(await withApiKeys(flags, env, (apiKeys) => apiKeys.create(input)), flags.json));
      done();
    });

  storeOptions(keys.command('list').description('List keys with their display prefix; never a hash, salt or secret'))
    .option('--subject <sub>', 'only this subject\'s keys')
    .option('--json', 'print JSON')
    .action(async (flags: KeysFlags & { subject?: string }) => {
      const infos = await withApiKeys(flags, env, (apiKeys) => apiKeys.list(flags.subject === undefined ? {} : { subject: flags.subject }));
      context.stdout(formatKeyList(infos, flags.json));
      done();
    });

  storeOptions(keys.command('revoke').description('Revoke a key: refused everywhere within the apps\' cacheTtlMs'))
    .argument('<id>', 'the key id (the part after the prefix)')
    .action(async (id: string, flags: KeysFlags) => {
      const info = await withApiKeys(flags, env, (apiKeys) => apiKeys.revoke(id));
      if (info === undefined) throw new AuditInputError(`no API key with id ${id}`);
      context.stdout(`Revoked API key ${info.id} (${info.name}) of ${info.subject} at ${info.revokedAt!.toISOString()}\n`);
      done();
    });

  storeOptions(keys.command('rotate').description('Issue a successor with the same grants; the old key lives on for the grace only'))
    .argument('<id>', 'the key id to replace')
    .option('--grace <duration>', 'how long the old key keeps working: 0, 3600, 30m, 24h (default 0)')
    .option('--json', 'print { key, record } as JSON, for scripts')
    .action(async (id: string, flags: KeysFlags & { grace?: string }) => {
      const graceSeconds = flags.grace === undefined || flags.grace === '0' ? 0 : parseDuration(flags.grace, '--grace');
      const created = await withApiKeys(flags, env, (apiKeys) => apiKeys.rotate(id, { graceSeconds }));
      context.stdout(describeCreated(created, flags.json));
      done();
    });
}

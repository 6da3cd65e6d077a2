import { readFile, writeFile } from 'node:fs/promises';
import type { RouteDescription } from '@tollgate/core';
import type { Finding } from './finding.js';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { parsePathList } from './allow-public.js';
import { AuditInputError, messageOf } from './audit-input-error.js';
import { auditRoutes, buildReport, type AuditTarget } from './audit-report.js';
import { FORMATS, renderReport, type FormatName } from './formats.js';
import { appAroundRouter, loadDescribeRoutes, loadProbeRoutes, type AdapterImporter } from './load-adapter.js';
import { probeFindings, runProbe } from './probe.js';
import { importModule, resolveApp, type ModuleImporter } from './load-module.js';
import { parsePolicy, PolicyFileError, type ApprovedPolicy } from './policy-file.js';
import { policyFromRoutes } from './policy-from-routes.js';
import { parseSeverityList, type Severity } from './severity.js';
import { describeRevocation, revocationTarget, revokeInRedis, tokenFromStdin, type RevokeFlags } from './revoke-command.js';
import { cliVersion } from './version.js';
import { addKeysCommand } from './keys-program.js';

/** Exit codes of `tollgate`. */
export const EXIT = Object.freeze({ ok: 0, findings: 1, error: 2 });

/** Where the program reads and writes: the process by default (`bin.ts`), anything in tests. */
export interface CliContext {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Base of relative paths. Default `process.cwd()`. */
  cwd?: string;
  /** Read for `NO_COLOR`. Default `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Whether stdout is a terminal (colour is used only then). Default false. */
  isTTY?: boolean;
  /** How `.ts` modules are imported. Default: tsx's `tsImport`. */
  importTypeScript?: ModuleImporter;
  /** How `@tollgate/express` / `@tollgate/koa` are imported. Default: resolved from the audited module, then from the CLI. */
  importAdapter?: AdapterImporter;
  /** All of standard input, for `revoke --token -`. Default: none (the flag is refused). */
  readStdin?: () => Promise<string>;
}

interface AuditFlags {
  format: FormatName;
  export: string;
  output?: string;
  failOn?: Severity[];
  policy?: string;
  writePolicy?: string | true;
  allowPublic?: string[];
  probe?: boolean;
}

/** The default file of `--write-policy` without a value. */
export const DEFAULT_POLICY_FILE = 'tollgate.policy.json';

function argParser<T>(parse: (value: string) => T): (value: string) => T {
  return (value) => {
    try {
      return parse(value);
    } catch (error) {
      throw new InvalidArgumentError(messageOf(error));
    }
  };
}

/** The path to show for a file: relative to the working directory when inside it. */
function displayPath(file: string, cwd: string): string {
  const rel = relative(cwd, file);
  return rel === '' || rel.startsWith('..') || isAbsolute(rel) ? file : rel.split(sep).join('/');
}

async function readPolicyFile(file: string, shown: string): Promise<ApprovedPolicy> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new AuditInputError(`Cannot read the policy ${shown}: ${(error as NodeJS.ErrnoException).code ?? messageOf(error)}`);
  }
  try {
    return parsePolicy(text, shown);
  } catch (error) {
    if (error instanceof PolicyFileError) throw new AuditInputError(error.message);
    throw error;
  }
}

async function writeText(file: string, text: string, what: string): Promise<void> {
  try {
    await writeFile(file, text);
  } catch (error) {
    throw new AuditInputError(`Cannot write ${what} ${file}: ${(error as NodeJS.ErrnoException).code ?? messageOf(error)}`);
  }
}

async function audit(moduleArg: string, flags: AuditFlags, context: CliContext, version: string): Promise<number> {
  const cwd = context.cwd ?? process.cwd();
  const env = context.env ?? process.env;
  const file = resolve(cwd, moduleArg);
  const shown = displayPath(file, cwd);

  const policy = flags.policy === undefined ? undefined : await readPolicyFile(resolve(cwd, flags.policy), flags.policy);
  const namespace = await importModule(file, context.importTypeScript === undefined ? {} : { importTypeScript: context.importTypeScript }, moduleArg);
  const loaded = await resolveApp(namespace, flags.export, shown);
  const describeRoutes = await loadDescribeRoutes(loaded.framework, file, context.importAdapter);
  let routes: RouteDescription[];
  try {
    routes = describeRoutes(loaded.app);
  } catch (error) {
    throw new AuditInputError(`describeRoutes could not read ${shown}: ${messageOf(error)}`);
  }

  const probed = flags.probe === true ? await probe(loaded.framework, loaded.kind === 'app' ? loaded.app : await appAroundRouter(loaded.framework, loaded.app, file, context.importAdapter), file, shown, context) : undefined;
  if (probed !== undefined) routes = probed.routes;
  const findings = auditRoutes(routes, { allowPublic: flags.allowPublic ?? [], ...(policy === undefined ? {} : { policy }), extraFindings: probed?.findings ?? [] });
  const target: AuditTarget = { module: shown, export: flags.export, framework: loaded.framework, kind: loaded.kind };
  const report = buildReport(target, routes, findings, version);

  if (flags.writePolicy !== undefined) {
    const policyFile = flags.writePolicy === true ? DEFAULT_POLICY_FILE : flags.writePolicy;
    const written = policyFromRoutes(routes);
    await writeText(resolve(cwd, policyFile), `${JSON.stringify(written, null, 2)}\n`, 'the policy');
    context.stderr(`Wrote ${written.routes.length} approved routes to ${policyFile}\n`);
  }

  const color = flags.format === 'table' && flags.output === undefined && context.isTTY === true && env.NO_COLOR === undefined;
  const text = renderReport(report, flags.format, { color });
  if (flags.output === undefined) context.stdout(text);
  else await writeText(resolve(cwd, flags.output), text, 'the report');

  const failOn = flags.failOn ?? [];
  return findings.some((f) => failOn.includes(f.severity)) ? EXIT.findings : EXIT.ok;
}

/** `--probe`: the app's handlers swapped for recorders, every route asked without a token and with a CORS preflight. */
async function probe(framework: AuditTarget['framework'], app: unknown, file: string, shown: string, context: CliContext): Promise<{ routes: RouteDescription[]; findings: Finding[] }> {
  const probeRoutes = await loadProbeRoutes(framework, file, context.importAdapter);
  let target;
  try {
    target = probeRoutes(app);
  } catch (error) {
    throw new AuditInputError(`probeRoutes could not instrument ${shown}: ${messageOf(error)}`);
  }
  const result = await runProbe(target);
  return { routes: target.routes, findings: probeFindings(target.routes, result) };
}

/**
 * Builds the `tollgate` command line. `onExit` receives the exit code of a finished audit.
 * Commander's own exits (help, version, usage errors) arrive as a thrown `CommanderError`.
 */
export function createProgram(context: CliContext, onExit: (code: number) => void): Command {
  // Read once: `--version` and the report's `tool.version` name the same package.json.
  const version = cliVersion();
  const program = new Command('tollgate')
    .description('Route-policy audit for Express and Koa apps protected by Tollgate')
    .version(version, '-V, --version')
    .exitOverride()
    .configureOutput({ writeOut: (s) => context.stdout(s), writeErr: (s) => context.stderr(s) });

  program.command('audit')
    .description('List every route with the guards in front of it, and report what a reviewer should look at')
    .argument('<module>', 'the app module: .js, .mjs, .cjs or .ts (through tsx)')
    .addOption(new Option('-f, --format <format>', 'output format').choices(FORMATS).default('table'))
    .option('-e, --export <name>', 'the export holding the app, a router, or a factory returning one', 'default')
    .option('-o, --output <file>', 'write the report to a file instead of stdout')
    .option('--fail-on <severities>', 'exit 1 when a finding of these severities exists (comma list of high, medium, low, info)', argParser(parseSeverityList))
    .option('--policy <file>', 'the approved policy (tollgate.policy.json) to report drift against')
    .option('--write-policy [file]', `write today's routes as a starting policy (default ${DEFAULT_POLICY_FILE})`)
    .option('--probe', 'also load the app with its handlers swapped for recorders, send every route a request without a token and a CORS preflight, and report what reached a handler')
    .option('--allow-public <paths>', 'paths approved as public, reported as info (comma list; exact, or a prefix ending in /*)', argParser(parsePathList))
    .addHelpText('after', '\nExit codes: 0 done, 1 a finding matched --fail-on, 2 the module, export, policy or options could not be used.')
    .action(async (moduleArg: string, flags: AuditFlags) => {
      onExit(await audit(moduleArg, flags, context, version));
    });

  program.command('revoke')
    .description('Revoke a token, or every token of a subject, in the Redis the apps read revocations from')
    .requiredOption('--redis <url>', 'the Redis URL (redis://host:6379)')
    .option('--prefix <prefix>', 'the RedisRevocationStore key prefix (default tollgate:{revoked}:)')
    .option('--token <token>', 'the token to revoke (its jti until its exp; read without verification); - reads it from stdin, out of shell history and ps')
    .option('--jti <jti>', 'the jti to revoke, with --expires')
    .option('--expires <time>', "the token's exp: ISO 8601 or seconds since the epoch")
    .option('--subject <sub>', 'revoke every token of this subject issued before --before')
    .option('--before <time>', 'the cut-off for --subject (default now)')
    .option('--issuer <iss>', 'scope --jti or --subject to this issuer (default: every issuer)')
    .option('--clock-tolerance <seconds>', "keep a token revoked this long past its exp: the apps' clockTolerance (default 5)")
    .addHelpText('after', '\nExit codes: 0 written (or nothing to write: the token has expired), 2 the options or Redis could not be used.')
    .action(async (flags: RevokeFlags) => {
      const target = revocationTarget(flags); // usage errors first, before waiting on stdin
      const resolved = flags.token === '-' ? { token: await tokenFromStdin(context.readStdin) } : target;
      context.stdout(`${describeRevocation(await revokeInRedis(flags, resolved))}\n`);
      onExit(EXIT.ok);
    });
  addKeysCommand(program, context, () => onExit(EXIT.ok));
  return program;
}

/**
 * Runs `tollgate` in-process: `argv` without the node and script entries
 * (`['audit', 'app.js', '--format', 'json']`). Resolves to the exit code and never calls
 * `process.exit`, so tests and other tools can embed it.
 */
export async function runCli(argv: readonly string[], context: CliContext): Promise<number> {
  let code: number = EXIT.ok;
  const program = createProgram(context, (c) => { code = c; });
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.error;
    context.stderr(`tollgate: ${error instanceof AuditInputError ? error.message : `unexpected error: ${messageOf(error)}`}\n`);
    return EXIT.error;
  }
}

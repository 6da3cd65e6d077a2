#!/usr/bin/env node
import { runCli } from './program.js';

// process.exitCode, not process.exit(): a long report piped to another program is flushed first.
process.exitCode = await runCli(process.argv.slice(2), {
  stdout: (text) => { process.stdout.write(text); },
  stderr: (text) => { process.stderr.write(text); },
  cwd: process.cwd(),
  env: process.env,
  isTTY: process.stdout.isTTY === true,
});

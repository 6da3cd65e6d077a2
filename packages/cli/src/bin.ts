#!/usr/bin/env node
import { runCli } from './program.js';

const STDIN_LIMIT = 64 * 1024; // a token, not a file

/** All of stdin, refused past STDIN_LIMIT bytes. */
async function readStdin(): Promise<string> {
  if (process.stdin.isTTY === true) process.stderr.write('tollgate: paste the token, then press Ctrl-D\n');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > STDIN_LIMIT) throw new Error(`standard input is longer than ${STDIN_LIMIT} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

// process.exitCode, not process.exit(): a long report piped to another program is flushed first.
process.exitCode = await runCli(process.argv.slice(2), {
  stdout: (text) => { process.stdout.write(text); },
  stderr: (text) => { process.stderr.write(text); },
  cwd: process.cwd(),
  env: process.env,
  isTTY: process.stdout.isTTY === true,
  readStdin,
});

/**
 * Headless Chromium for the HTML-report test, with nothing to install on the machine: Debian's
 * `chromium` when it is on PATH, otherwise the Chromium that `@sparticuz/chromium` ships inside
 * its npm tarball (brotli-compressed, with its own NSS/NSPR/expat libraries, fonts and
 * SwiftShader), unpacked once into node_modules/.cache. Nothing is downloaded at any point.
 *
 * The page is driven over the DevTools protocol on a pipe (`--remote-debugging-pipe`, JSON
 * messages ending in NUL on file descriptors 3 and 4): `--dump-dom` never returns from the
 * packaged headless shell, and the protocol works the same on both browsers.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createReadStream, createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createBrotliDecompress } from 'node:zlib';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** A browser to start: its executable and what its environment needs. */
export interface Browser {
  source: 'debian' | '@sparticuz/chromium';
  executable: string;
  env: NodeJS.ProcessEnv;
}

function onPath(name: string): string | undefined {
  const found = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  return found.status === 0 ? found.stdout.trim() : undefined;
}

async function unbrotli(from: string, to: string): Promise<void> {
  await pipeline(createReadStream(from), createBrotliDecompress(), createWriteStream(to, { mode: 0o755 }));
}

/** Unpacks `name.tar.br` into `into` through the system's `tar`. */
async function untar(from: string, into: string): Promise<void> {
  mkdirSync(into, { recursive: true });
  const tarFile = `${into}.tar`;
  await unbrotli(from, tarFile);
  const result = spawnSync('tar', ['-xf', tarFile, '-C', into]);
  rmSync(tarFile, { force: true });
  if (result.status !== 0) throw new Error(`tar could not unpack ${from}: ${String(result.stderr)}`);
}

/**
 * The packaged Chromium, unpacked into node_modules/.cache/tollgate-chromium-<version>. A fresh
 * directory is filled and then renamed into place, so two test runs unpacking at once cannot
 * see each other's half-written files.
 */
async function packagedChromium(): Promise<Browser> {
  const require = createRequire(join(ROOT, 'package.json'));
  const packageDir = dirname(dirname(require.resolve('@sparticuz/chromium')));
  const { version } = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { version: string };
  const bin = join(packageDir, 'bin');
  const cache = join(ROOT, 'node_modules', '.cache');
  const target = join(cache, `tollgate-chromium-${version}`);
  if (!existsSync(join(target, 'chromium'))) {
    mkdirSync(cache, { recursive: true });
    const work = mkdtempSync(join(cache, 'tollgate-chromium-unpacking-'));
    try {
      await unbrotli(join(bin, 'chromium.br'), join(work, 'chromium'));
      await untar(join(bin, 'al2023.tar.br'), join(work, 'al2023'));   // lib/: libnss3, libnspr4, libexpat
      await untar(join(bin, 'fonts.tar.br'), join(work, 'fonts'));
      await untar(join(bin, 'swiftshader.tar.br'), work);               // beside the binary, where it looks
      try {
        renameSync(work, target);
      } catch (error) {
        if (!existsSync(join(target, 'chromium'))) throw error;        // another run won the race
      }
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }
  return {
    source: '@sparticuz/chromium',
    executable: join(target, 'chromium'),
    env: { ...process.env, LD_LIBRARY_PATH: join(target, 'al2023', 'lib'), FONTCONFIG_PATH: join(target, 'fonts'), HOME: target },
  };
}

/** Debian's `chromium` when installed, otherwise the one from `@sparticuz/chromium`. */
export async function findChromium(): Promise<Browser> {
  const debian = onPath('chromium');
  if (debian) return { source: 'debian', executable: debian, env: process.env };
  return packagedChromium();
}

interface Message { id?: number; method?: string; result?: Record<string, unknown>; error?: { message: string }; sessionId?: string }

/** One browser process and its protocol pipe. */
class DevToolsPipe {
  private buffer = '';
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (m: Message) => void; reject: (e: Error) => void }>();
  private stderr = '';

  constructor(private readonly child: ChildProcess) {
    child.stderr?.on('data', (chunk: Buffer) => { this.stderr = (this.stderr + chunk.toString()).slice(-4000); });
    (child.stdio[3] as NodeJS.WritableStream).on('error', () => undefined);   // reported through 'exit'
    (child.stdio[4] as NodeJS.ReadableStream).on('data', (chunk: Buffer) => this.receive(chunk.toString()));
    child.once('exit', (code, signal) => {
      for (const { reject } of this.pending.values()) reject(new Error(`Chromium exited (${code ?? signal}): ${this.stderr}`));
      this.pending.clear();
    });
  }

  private receive(text: string): void {
    this.buffer += text;
    for (let end = this.buffer.indexOf('\0'); end >= 0; end = this.buffer.indexOf('\0')) {
      const message = JSON.parse(this.buffer.slice(0, end)) as Message;
      this.buffer = this.buffer.slice(end + 1);
      const waiter = message.id === undefined ? undefined : this.pending.get(message.id);
      if (!waiter || message.id === undefined) continue;
      this.pending.delete(message.id);
      if (message.error) waiter.reject(new Error(`DevTools: ${message.error.message}`));
      else waiter.resolve(message);
    }
  }

  send(method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<Record<string, unknown>> {
    const id = ++this.nextId;
    return new Promise((resolve, reject) => {
      if (this.child.exitCode !== null || this.child.signalCode !== null) {
        reject(new Error(`Chromium is gone: ${this.stderr}`));
        return;
      }
      this.pending.set(id, { resolve: (m) => resolve(m.result ?? {}), reject });
      (this.child.stdio[3] as NodeJS.WritableStream).write(`${JSON.stringify({ id, method, params, sessionId })}\0`);
    });
  }
}

/**
 * The DOM of a local file after its scripts ran, as Chromium renders it. The flags keep the
 * browser off the network; `profileDir` is its throwaway profile.
 */
export async function renderedDom(browser: Browser, file: string, profileDir: string, timeoutMs = 60_000): Promise<string> {
  const child = spawn(browser.executable, [
    '--headless', '--no-sandbox', '--no-zygote', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync', '--remote-debugging-pipe',
    `--user-data-dir=${profileDir}`, 'about:blank',
  ], { env: browser.env, stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] });
  const devtools = new DevToolsPipe(child);
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Chromium did not render ${file} within ${timeoutMs} ms`)), timeoutMs);
  });
  const render = async (): Promise<string> => {
    const { targetId } = await devtools.send('Target.createTarget', { url: `file://${file}` });
    const { sessionId } = await devtools.send('Target.attachToTarget', { targetId, flatten: true });
    for (;;) {
      const evaluated = await devtools.send('Runtime.evaluate', {
        // The new tab starts on about:blank, already 'complete': wait for the file itself.
        expression: `location.protocol === 'file:' && document.readyState === 'complete' ? document.documentElement.outerHTML : ''`,
        returnByValue: true,
      }, sessionId as string);
      const html = (evaluated.result as { value?: unknown } | undefined)?.value;
      if (typeof html === 'string' && html !== '') return html;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  const rendering = render();
  rendering.catch(() => undefined);   // after the deadline, the loop ends on the browser's exit
  try {
    return await Promise.race([rendering, deadline]);
  } finally {
    clearTimeout(timer);
    child.kill('SIGKILL');
  }
}

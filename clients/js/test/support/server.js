// Starts the real `predictwire serve` for the client's tests, as tests/e2e/support/server_fixture.py
// does for the Python ones: on a free loopback port (or a given one, to restart a server where
// it was), waiting for its ready line "predictwire: listening http=HOST:PORT ...".
// The binary is $PREDICTWIRE_BINARY (CTest sets it), else build/release/predictwire.

import {spawn} from 'node:child_process';
import {once} from 'node:events';
import path from 'node:path';
import {fileURLToPath} from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
export const BINARY = process.env.PREDICTWIRE_BINARY || path.join(ROOT, 'build', 'release', 'predictwire');
const READY = /^predictwire: listening http=(\S+):(\d+)((?: [\w-]+=\S+)*)$/;

export class Server {
  // `args`: more `serve` flags; `port`: 0 for a free one.
  constructor(args = [], {port = 0} = {}) {
    this.args = args;
    this.port = port;
    this.process = null;
    this.stderr = '';
  }

  async start(timeoutMs = 20000) {
    const child = spawn(BINARY, ['serve', '--http', `127.0.0.1:${this.port}`, '--grpc', '', ...this.args],
                        {cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe']});
    this.process = child;
    this.stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text) => { this.stderr += text; });
    child.stdout.setEncoding('utf8');
    let buffered = '';
    const line = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the server did not start in ${timeoutMs} ms: ${this.stderr}`)),
                               timeoutMs);
      child.stdout.on('data', (text) => {
        buffered += text;
        const end = buffered.indexOf('\n');
        if (end >= 0) {
          clearTimeout(timer);
          resolve(buffered.slice(0, end));
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`the server exited (${code}) before it was ready: ${this.stderr}`));
      });
    });
    const match = READY.exec(line.trim());
    if (!match) {
      child.kill('SIGKILL');
      throw new Error(`not a ready line: ${JSON.stringify(line)}`);
    }
    this.host = match[1];
    this.port = Number(match[2]);
    return this;
  }

  get url() {
    return `http://${this.host}:${this.port}`;
  }

  // Sends `signal` and waits for the exit; resolves the exit code (or the signal's name).
  async stop(signal = 'SIGTERM', timeoutMs = 20000) {
    const child = this.process;
    if (!child || child.exitCode !== null || child.signalCode !== null) return child && (child.exitCode ?? child.signalCode);
    const exited = once(child, 'exit');
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const [code, name] = await exited;
    clearTimeout(timer);
    return code ?? name;
  }

  // Starts the server again on the port it had.
  async restart(signal = 'SIGTERM') {
    await this.stop(signal);
    return this.start();
  }
}

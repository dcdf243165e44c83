// Runs one argv (never through a shell) with a time-out; its output becomes the error message when it fails.
import { spawn } from 'node:child_process';
import { executorFailed, SmaError, timeoutError } from '../errors.js';

export interface RunResult {
  stdout: string;
  stderr: string;
}

/** Output kept per stream; an executor that prints more is cut, not buffered without end. */
const MAX_OUTPUT = 256 * 1024;
/** Longest error message taken from a failed command's output. */
const MAX_MESSAGE = 512;

/**
 * Exit status 0 resolves; anything else rejects EXECUTOR_FAILED with stderr (else stdout) as the message.
 * Past `timeoutMs` the command's whole process group is killed and the call rejects TIMEOUT at once, even
 * if a grandchild still holds its output open.
 */
export function runArgv(argv: readonly string[], timeoutMs: number): Promise<RunResult> {
  const [file, ...args] = argv;
  if (!file) return Promise.reject(executorFailed('empty command'));
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (err: SmaError | undefined, result?: RunResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) reject(err);
      else resolve(result!);
    };
    // Its own process group, so that a time-out kills what the command started as well.
    const child = spawn(file, args, { shell: false, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const stdout = collect(child.stdout);
    const stderr = collect(child.stderr);
    const timer = setTimeout(() => {
      killGroup(child.pid);
      finish(timeoutError(`${file} did not finish within ${timeoutMs} ms`));
    }, timeoutMs);
    child.once('error', (err) => finish(executorFailed(`cannot run ${file}: ${err.message}`)));
    child.once('close', (code, signal) => {
      const out = { stdout: stdout(), stderr: stderr() };
      if (code === 0) return finish(undefined, out);
      const said = (out.stderr.trim() || out.stdout.trim()).slice(0, MAX_MESSAGE);
      finish(executorFailed(said || (signal ? `${file} killed by ${signal}` : `${file} exited with status ${code}`)));
    });
  });
}

function collect(stream: NodeJS.ReadableStream): () => string {
  const chunks: Buffer[] = [];
  let size = 0;
  stream.on('data', (chunk: Buffer) => {
    if (size >= MAX_OUTPUT) return;
    chunks.push(chunk);
    size += chunk.length;
  });
  return () => Buffer.concat(chunks).subarray(0, MAX_OUTPUT).toString('utf8');
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    /* already gone */
  }
}

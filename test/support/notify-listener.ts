// Stands in for systemd's side of sd_notify: a unix datagram socket at a temporary NOTIFY_SOCKET path (Node
// cannot bind one, so python3 does), each datagram recorded with its arrival time and its sender's pid
// (SCM_CREDENTIALS, as systemd reads it).
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { tempDir } from './agent-process.js';
import { waitFor } from './wait-for.js';

export interface NotifyMessage {
  /** Arrival, in the listener's monotonic milliseconds. */
  at: number;
  pid: number | null;
  fields: Record<string, string>;
}

const LISTENER = `
import json, socket, struct, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
s.bind(sys.argv[1])
print(json.dumps({"listening": True}), flush=True)
while True:
    data, anc, _, _ = s.recvmsg(65536, socket.CMSG_SPACE(12))
    pid = None
    for level, kind, d in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
            pid = struct.unpack("iII", d[:12])[0]
    print(json.dumps({"at": time.monotonic() * 1000, "pid": pid, "text": data.decode()}), flush=True)
`;

export class NotifyListener {
  readonly messages: NotifyMessage[] = [];
  private constructor(
    readonly socketPath: string,
    private readonly child: ChildProcess,
  ) {}

  static async start(): Promise<NotifyListener> {
    const socketPath = join(tempDir('sma-notify-'), 'notify.sock');
    const child = spawn('python3', ['-c', LISTENER, socketPath], { stdio: ['ignore', 'pipe', 'inherit'] });
    const listener = new NotifyListener(socketPath, child);
    let listening = false;
    let buffer = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = JSON.parse(buffer.slice(0, nl)) as { listening?: true; at: number; pid: number | null; text: string };
        buffer = buffer.slice(nl + 1);
        if (line.listening) listening = true;
        else listener.messages.push({ at: line.at, pid: line.pid, fields: fieldsOf(line.text) });
      }
    });
    await waitFor('notify listener', () => listening || undefined);
    return listener;
  }

  /** The messages that set KEY (e.g. READY, WATCHDOG, STOPPING). */
  with(key: string): NotifyMessage[] {
    return this.messages.filter((m) => key in m.fields);
  }

  close(): void {
    this.child.kill();
  }
}

function fieldsOf(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) fields[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return fields;
}

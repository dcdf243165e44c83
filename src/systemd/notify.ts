// The sd_notify protocol toward systemd (Type=notify in packaging/sma-bridge.service): READY=1 once the agent
// serves, WATCHDOG=1 from the event loop, STOPPING=1 at a stop. Node 20 cannot send a unix datagram, so each
// message goes through Debian's `systemd-notify` binary (present wherever systemd is). `--pid` names this
// process: as root the datagram carries our pid as its sender (systemd attributes it to the main process even
// after the short-lived sender is gone); unprivileged it falls back to its own pid, which the unit's
// NotifyAccess=all accepts. `--no-block`: a fake or busy listener must never hold a message up.
import { spawn } from 'node:child_process';
import type { Logger } from 'pino';

export interface NotifyEnvironment {
  NOTIFY_SOCKET?: string | undefined;
  WATCHDOG_USEC?: string | undefined;
  WATCHDOG_PID?: string | undefined;
}

/** Sends one set of `KEY=value` assignments; resolves false when it could not be delivered. */
export type NotifySend = (assignments: string[]) => Promise<boolean>;

/**
 * Half of WatchdogSec, as sd_watchdog_enabled(3) reads it: undefined when systemd asks for no pings, or asks
 * another process (WATCHDOG_PID names the main process; a child that inherited the variables stays quiet).
 */
export function watchdogIntervalMs(env: NotifyEnvironment, pid: number): number | undefined {
  if (!env.WATCHDOG_USEC) return undefined;
  const usec = Number(env.WATCHDOG_USEC);
  if (!Number.isSafeInteger(usec) || usec <= 0) return undefined;
  if (env.WATCHDOG_PID && Number(env.WATCHDOG_PID) !== pid) return undefined;
  return Math.max(1, Math.floor(usec / 2000));
}

/** The `systemd-notify` binary as the sender; it reads NOTIFY_SOCKET from the environment it inherits. */
export function systemdNotifyBinary(pid: number, binary = 'systemd-notify'): NotifySend {
  return (assignments) =>
    new Promise((resolve) => {
      const child = spawn(binary, ['--no-block', `--pid=${pid}`, ...assignments], { stdio: 'ignore' });
      child.once('error', () => resolve(false));
      child.once('exit', (code) => resolve(code === 0));
    });
}

/** What systemd is told, and when; inert when the agent was not started by systemd (no NOTIFY_SOCKET). */
export class SystemdNotifier {
  private timer: NodeJS.Timeout | undefined;
  private failed = false;

  constructor(
    private readonly options: { env: NotifyEnvironment; pid: number; send: NotifySend; log: Logger },
  ) {}

  get active(): boolean {
    return !!this.options.env.NOTIFY_SOCKET;
  }

  /** READY=1 with a one-line status, then the watchdog pings if systemd asked for them. */
  async ready(status: string): Promise<void> {
    if (!this.active) return;
    await this.tell(['READY=1', `STATUS=${status}`]);
    const everyMs = watchdogIntervalMs(this.options.env, this.options.pid);
    if (everyMs === undefined) return;
    this.options.log.info({ everyMs }, 'systemd watchdog: pinging from the event loop');
    // A timer on the event loop, never a thread: a loop that hangs stops the pings, and systemd restarts us.
    this.timer = setInterval(() => void this.tell(['WATCHDOG=1']), everyMs);
    this.timer.unref();
  }

  async stopping(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.active) await this.tell(['STOPPING=1']);
  }

  private async tell(assignments: string[]): Promise<void> {
    const delivered = await this.options.send(assignments);
    if (delivered || this.failed) return;
    // Said once: without the binary systemd never hears READY and stops the unit at TimeoutStartSec.
    this.failed = true;
    this.options.log.error({ socket: this.options.env.NOTIFY_SOCKET }, 'cannot notify systemd (is the systemd-notify binary installed? Debian package: systemd)');
  }
}

// `sma-bridge services deploy NAME VERSION --url URL --sha256 HEX [--signature B64] [--no-wait]`,
// `services deployments [NAME]`, `services rollback NAME`, `services cancel NAME` (CONTRACT section 13). Deploy,
// rollback and cancel print a progress line while they wait for the deployment's end (one line rewritten on a
// terminal, one per state otherwise), unless --no-wait.
import { askObject, output, type ClientCommand } from './agent-request.js';
import type { OptionValues } from './argv.js';
import { formatBytes } from './cell-format.js';
import { EXIT_FAILED, EXIT_OK, usageError, writeJson, writeLine } from './io.js';
import { terminalText } from '../terminal-text.js';
import { renderTable, type Column } from './table.js';
import { durationMs } from './watch-command.js';

const VERSION = /^[0-9A-Za-z][0-9A-Za-z._+-]{0,63}$/;
const FINAL = new Set(['DONE', 'ROLLED_BACK', 'FAILED']);

interface DeploymentRow {
  deploymentId: string;
  name: string;
  version: string;
  kind?: string;
  state: string;
  error?: { code: string; message: string };
  createdAt: string;
  updatedAt: string;
}

interface DeployEventBody {
  deploymentId: string;
  state: string;
  from?: string;
  bytes?: number;
  total?: number;
  error?: { code: string; message: string };
}

const deploymentColumns: Column<DeploymentRow>[] = [
  { header: 'ID', cell: (d) => d.deploymentId.slice(0, 8) },
  { header: 'NAME', cell: (d) => d.name },
  { header: 'VERSION', cell: (d) => d.version },
  { header: 'KIND', cell: (d) => d.kind },
  { header: 'STATE', cell: (d) => d.state },
  { header: 'UPDATED', cell: (d) => d.updatedAt },
  { header: 'ERROR', cell: (d) => (d.error ? `${d.error.code}: ${d.error.message}` : undefined) },
];

/** Checked before connecting: bad values are usage errors (exit 2). */
export function deployArguments(verb: string, args: string[], values: OptionValues): void {
  if (verb !== 'deploy') return;
  if (!VERSION.test(args[1] ?? '')) throw usageError(`VERSION must match ${VERSION.source}, not '${args[1]}'`);
  if (values.image !== undefined) {
    if (values.url !== undefined || values.sha256 !== undefined) throw usageError('--image or --url with --sha256, not both');
    if (!/^[A-Za-z0-9][A-Za-z0-9._/:@-]*$/.test(values.image)) throw usageError(`--image takes an image reference, not '${values.image}'`);
    return;
  }
  if (!values.url || !/^https?:\/\//.test(values.url)) throw usageError('--url takes the artifact\'s http:// or https:// URL');
  if (!values.sha256 || !/^[0-9a-fA-F]{64}$/.test(values.sha256)) throw usageError('--sha256 takes the artifact\'s SHA-256 as 64 hex digits');
  if (values.signature !== undefined && !/^[A-Za-z0-9+/]+={0,2}$/.test(values.signature)) throw usageError('--signature takes a base64 Ed25519 signature');
  if (values['healthy-for'] !== undefined) durationMs(values['healthy-for'], 'healthy-for');
}

export async function runDeploy(cmd: ClientCommand): Promise<number> {
  const { verb, args, values } = cmd;
  if (verb === 'deployments') {
    const answer = await askObject<{ deployments: DeploymentRow[]; services: Array<{ name: string; current?: string; previous?: string }> }>(cmd.client, 'services.deployments', args[0] ? { name: args[0] } : {});
    output(cmd.io, values, answer, () => {
      const versions = answer.services.map((s) => terminalText(`${s.name}: ${s.current ?? '(registered)'}${s.previous ? ` (previous ${s.previous})` : ''}`)).join('\n');
      return `${renderTable(deploymentColumns, answer.deployments)}${versions ? `\n\n${versions}` : ''}`;
    });
    return EXIT_OK;
  }
  const body: Record<string, unknown> =
    verb === 'rollback' || verb === 'cancel'
      ? { name: args[0] }
      : {
          name: args[0],
          version: args[1],
          artifact: values.image ? { image: values.image } : { url: values.url, sha256: values.sha256, ...(values.signature ? { signature: values.signature } : {}) },
          ...(values['healthy-for'] !== undefined ? { gate: { healthyForMs: durationMs(values['healthy-for'], 'healthy-for') } } : {}),
        };
  const op = verb === 'rollback' ? 'services.rollback' : verb === 'cancel' ? 'services.cancel' : 'services.deploy';
  // Subscribed before asking: no event falls between the answer and the subscription.
  const seen: DeployEventBody[] = [];
  let wake = (): void => undefined;
  if (!values['no-wait']) {
    await cmd.client.follow(`event/deploy/${args[0]}`, (payload) => {
      try {
        seen.push(JSON.parse(payload.toString('utf8')) as DeployEventBody);
        wake();
      } catch {
        /* not ours to judge: the agent's events are JSON */
      }
    });
  }
  const accepted = await askObject<{ deploymentId: string; version: string; state: string }>(cmd.client, op, body);
  if (values['no-wait']) {
    output(cmd.io, values, accepted, () => `${args[0]} ${accepted.version}: accepted as ${accepted.deploymentId} (${accepted.state})`);
    return EXIT_OK;
  }
  const progress = new ProgressLine(cmd.io.stdout as NodeJS.WriteStream, `${args[0]} ${accepted.version}`, !!values.json);
  for (;;) {
    const mine = seen.filter((e) => e.deploymentId === accepted.deploymentId);
    seen.length = 0;
    for (const e of mine) progress.show(e);
    const end = mine.find((e) => FINAL.has(e.state));
    if (end) {
      progress.done();
      if (verb === 'cancel' ? cancelled(end) : end.state === 'DONE') return EXIT_OK;
      writeLine(cmd.io.stderr, `sma-bridge: deployment ${accepted.deploymentId} ended ${end.state}${end.error ? `: ${end.error.code}: ${end.error.message}` : ''}`);
      return EXIT_FAILED;
    }
    const next = new Promise<void>((resolve) => (wake = resolve));
    const lost = cmd.client.closed().then(() => 'lost' as const);
    if ((await Promise.race([next, lost])) === 'lost') {
      writeLine(cmd.io.stderr, `sma-bridge: the link to the broker was lost; the deployment ${accepted.deploymentId} goes on (see services deployments)`);
      return EXIT_FAILED;
    }
  }
}

/** A cancel did what it says: FAILED with INTERRUPTED before the switch, or the version before back (not a rollback that failed). */
const cancelled = (end: DeployEventBody): boolean =>
  end.state === 'ROLLED_BACK' || (end.state === 'FAILED' && end.error?.code === 'INTERRUPTED' && end.from !== 'ROLLING_BACK');

/** One line per deployment: rewritten in place on a terminal, one line per state (and JSON with --json) otherwise. */
class ProgressLine {
  private lastState = '';

  constructor(
    private readonly out: NodeJS.WriteStream,
    private readonly label: string,
    private readonly json: boolean,
  ) {}

  show(e: DeployEventBody): void {
    if (this.json) return writeJson(this.out, e, 0);
    const bytes = e.bytes !== undefined ? ` ${formatBytes(e.bytes)}${e.total ? ` of ${formatBytes(e.total)} (${Math.floor((e.bytes / e.total) * 100)}%)` : ''}` : '';
    const text = terminalText(`${this.label}: ${e.state}${bytes}${e.error ? ` ${e.error.code}: ${e.error.message}` : ''}`);
    if (this.out.isTTY) this.out.write(`\r\x1b[K${text}`);
    else if (e.state !== this.lastState) this.out.write(`${text}\n`);
    this.lastState = e.state;
  }

  done(): void {
    if (this.out.isTTY && !this.json) this.out.write('\n');
  }
}

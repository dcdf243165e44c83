// `sma-bridge start [-c FILE]`: runs the agent in this process until it is told to stop.
export async function runStart(configPath: string | undefined): Promise<number> {
  const old = tooOldNode(process.versions.node);
  if (old) {
    process.stderr.write(`sma-bridge: ${old}\n`);
    return 2;
  }
  // Loaded on demand: client commands should not pay for the broker, store and CoAP stacks.
  const { runAgent } = await import('../run-agent.js');
  // runAgent reports config errors itself and gives the exit status (2 for a bad config).
  return runAgent(configPath === undefined ? {} : { configPath });
}

/** The embedded broker (aedes) imports JSON `with { type: 'json' }`, which Node parses from 20.10 on (package.json engines). */
export function tooOldNode(version: string): string | undefined {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  if (major > 20 || (major === 20 && minor >= 10)) return undefined;
  return `needs Node.js 20.10 or newer (this is ${version}); README, "On a Raspberry Pi", says how to get it`;
}

// `sma-bridge start [-c FILE]`: runs the agent in this process until it is told to stop.
export async function runStart(configPath: string | undefined): Promise<number> {
  // Loaded on demand: client commands should not pay for the broker, store and CoAP stacks.
  const { runAgent } = await import('../run-agent.js');
  // runAgent reports config errors itself and gives the exit status (2 for a bad config).
  return runAgent(configPath === undefined ? {} : { configPath });
}

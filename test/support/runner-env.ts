// Runs before every test file. The agent refuses an SMA_ variable that names no configuration key, and CI
// sets SMA_REQUIRE_PEERS=1 for the runner: no SMA_ variable of the runner's may reach the processes the
// tests start (a CLI spawned with the inherited environment would exit 2). The flag is kept under a name
// outside the agent's prefix, and every other inherited SMA_ variable is dropped.
export const REQUIRE_PEERS_FLAG = 'TEST_REQUIRE_PEERS';

if (process.env.SMA_REQUIRE_PEERS !== undefined) process.env[REQUIRE_PEERS_FLAG] = process.env.SMA_REQUIRE_PEERS;
for (const key of Object.keys(process.env)) if (key.startsWith('SMA_')) delete process.env[key];

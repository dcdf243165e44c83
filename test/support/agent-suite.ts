// One agent process (its bin, on the embedded broker) and an operator's MQTT requester for the enclosing
// `describe`: started before its first test, stopped after its last. `agent` and `mqtt` are there once the
// first test runs.
import { afterAll, beforeAll } from 'vitest';
import { startAgent, type AgentProcess } from './agent-process.js';
import { MqttRequester } from './mqtt-requester.js';

export function agentSuite(config: Record<string, unknown> = {}): { agent: AgentProcess; mqtt: MqttRequester } {
  const suite = {} as { agent: AgentProcess; mqtt: MqttRequester };
  beforeAll(async () => {
    suite.agent = await startAgent(config);
    suite.mqtt = await MqttRequester.forAgent(suite.agent);
  });
  afterAll(async () => {
    await suite.mqtt?.close();
    await suite.agent?.stop();
  });
  return suite;
}

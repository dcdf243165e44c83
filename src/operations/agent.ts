// agent.info and trust.get.
import type { OperationOutcome, Ports } from './ports.js';
import { TRUST_PAGE_MAX, type RequestOf } from './schemas.js';

export async function agentInfo(ports: Ports, _req: RequestOf<'agent.info'>): Promise<OperationOutcome> {
  const records = await ports.registry.list();
  return {
    result: {
      agentId: ports.agent.agentId,
      version: ports.agent.version,
      uptimeS: Math.floor((ports.clock.now() - ports.agent.startedAt) / 1000),
      registry: ports.registry.kind,
      services: records.filter((r) => !r.halted).length,
      devices: ports.trust.counts().devices,
      // An addition to the contract's agent.info (issue 26): the Sparkplug node metric Agent/Trusted Devices.
      trustedDevices: ports.trust.counts().trusted,
      ...ports.agent.process?.(),
    },
  };
}

export async function trustGet(ports: Ports, req: RequestOf<'trust.get'>): Promise<OperationOutcome> {
  return { result: ports.trust.query({ ...req, limit: req.ids ? undefined : (req.limit ?? TRUST_PAGE_MAX) }) };
}

// /ping, /version, /config and /metrics of an EdgeX service, as both Keeper and the SMA answer them.
import { base } from './edgex-dtos.js';
import { sendJson } from './respond.js';
import type { Router } from './router.js';

export interface ServiceInfo {
  serviceName: string;
  version: string;
  /** The agent's configuration without secrets. */
  publicConfig: () => Record<string, unknown>;
}

/** Go's time.RFC1123, as EdgeX's ping answers: `Mon, 02 Jan 2006 15:04:05 MST`. */
const rfc1123 = (d: Date): string => d.toUTCString().replace('GMT', 'UTC');

export function mountServiceInfo(router: Router, api: string, apiVersion: string, o: ServiceInfo): void {
  // Ping and version are any caller's (EdgeX clients probe them); the agent's configuration (HTTP users and
  // roles, the services' start environments) and its process metrics are an operator's.
  router.get(`${api}/ping`, ({ res }) => sendJson(res, 200, { apiVersion, timestamp: rfc1123(new Date()), serviceName: o.serviceName }), 'caller');
  router.get(`${api}/version`, ({ res }) => sendJson(res, 200, { apiVersion, version: o.version, serviceName: o.serviceName }), 'caller');
  router.get(`${api}/config`, ({ res }) => sendJson(res, 200, { apiVersion, serviceName: o.serviceName, config: o.publicConfig() }));
  router.get(`${api}/metrics`, ({ res }) => {
    const mem = process.memoryUsage();
    const cpu = process.cpuUsage();
    const cpuBusyAvg = (100 * (cpu.user + cpu.system)) / 1000 / Math.max(1, process.uptime() * 1000);
    sendJson(res, 200, {
      ...base(apiVersion, 200),
      serviceName: o.serviceName,
      metrics: { memAlloc: mem.heapUsed, memSys: mem.rss, memTotalAlloc: mem.heapTotal, cpuBusyAvg },
    });
  });
}

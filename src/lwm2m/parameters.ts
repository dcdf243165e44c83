// Protocol timing and size constants of the LwM2M client, in one place (tests may pass overrides).

export interface Lwm2mParameters {
  /** Give up on one uplink request (Register/Update/De-register) after this long (RFC 7252 MAX_TRANSMIT_WAIT). */
  requestTimeoutMs: number;
  /** One Register or Update attempt gives up after this long (its copies go out at about 0, 2-3 and 6-9 s).
   *  With the back-off capped at lifetime/2, a server back from a restart hears from the client again within
   *  lifetime/2 + this (issue 12): waiting the full MAX_TRANSMIT_WAIT (93 s) left it unregistered far longer. */
  registrationAttemptMs: number;
  /** De-register on shutdown gives up sooner: a dead server must not hold the agent's stop. */
  deregisterTimeoutMs: number;
  /** Send the Update this long before the lifetime runs out, at most half the lifetime. */
  updateMarginMs: number;
  /** Back-off between registration attempts while the server is unreachable: first delay, cap, factor. */
  retryMinMs: number;
  retryMaxMs: number;
  retryFactor: number;
  /** Answer within this long in the ACK itself (piggybacked) before switching to a separate response. */
  piggybackReplyMs: number;
  /** Largest payload in one datagram; larger ones go block-wise (RFC 7959, SZX 6). */
  blockSize: number;
  /** Inbound payloads over this are refused (CONTRACT section 10). */
  maxPayloadBytes: number;
  /** UDP receive buffer asked of the OS (best effort, capped by net.core.rmem_max): a server's ACKs
   *  to a burst of notifications must not overflow it. */
  socketReceiveBufferBytes: number;
  /** Events arriving within this window are coalesced into one notification sweep / one Update. */
  coalesceMs: number;
  /** An object with more instances than this is registered as `</oid>` alone: a gateway tracking 100 000
   *  devices must not send a megabyte of 33002 links in every Update. The server reads or discovers them. */
  maxLinkedInstances: number;
  /** Responses the coap server keeps to answer a retransmitted request again (RFC 7252 4.5 de-duplication),
   *  each for EXCHANGE_LIFETIME (247 s). Capped by count as well as encoded bytes, since an entry holds far
   *  more than its bytes (sender, timers, the request): ~5 KiB of heap each, measured, so 1024 is ~5 MiB.
   *  Evicting one early only matters for a retransmission of it arriving later, which needs one server
   *  sending more than 1024 requests within a retransmission span (~45 s). */
  exchangeCacheEntries: number;
  /** RFC 7252 EXCHANGE_LIFETIME: how long a command's answer is kept for a retransmission of its request. */
  exchangeLifetimeMs: number;
  exchangeCacheBytes: number;
  /** Block-wise transfers (Block1 uploads being assembled, Block2 bodies being served) kept at once, each. */
  blockTransfers: number;
  /** Observations kept at once; past it an Observe is answered as a plain Read (RFC 7641 4.1). */
  maxObservations: number;
  /** Peers refused in NoSec mode that are remembered, so each is logged once. */
  refusedPeersLogged: number;
  /** After its Bootstrap-Request is acknowledged, how long the client waits for the Bootstrap-Finish. */
  bootstrapFinishMs: number;
  /** Registrations refused (4.xx) in a row before a client with a Bootstrap-Server bootstraps again. */
  refusalsBeforeBootstrap: number;
}

export const defaultParameters: Lwm2mParameters = {
  requestTimeoutMs: 93_000,
  registrationAttemptMs: 15_000,
  deregisterTimeoutMs: 5_000,
  updateMarginMs: 103_000,
  retryMinMs: 1_000,
  retryMaxMs: 300_000,
  retryFactor: 2,
  piggybackReplyMs: 1_000,
  blockSize: 1024,
  maxPayloadBytes: 64 * 1024,
  coalesceMs: 0,
  maxLinkedInstances: 1024,
  socketReceiveBufferBytes: 1 << 20,
  bootstrapFinishMs: 60_000,
  refusalsBeforeBootstrap: 3,
  exchangeCacheEntries: 1024,
  exchangeLifetimeMs: 247_000,
  exchangeCacheBytes: 1024 * 1024,
  blockTransfers: 16,
  maxObservations: 1024,
  refusedPeersLogged: 256,
};

/** Delay before the next Update for a lifetime in seconds. */
export function updateDelayMs(lifetimeS: number, p: Lwm2mParameters): number {
  const lifetimeMs = lifetimeS * 1000;
  return Math.max(lifetimeMs / 2, lifetimeMs - p.updateMarginMs);
}

/** Back-off delay before attempt number `attempt` (0-based) of a failed registration: never more than half
 *  the lifetime, so a server that comes back is found about as soon as an Update would have found it. */
export function retryDelayMs(attempt: number, p: Lwm2mParameters, lifetimeS: number): number {
  return Math.min(p.retryMaxMs, (lifetimeS * 1000) / 2, p.retryMinMs * Math.pow(p.retryFactor, attempt));
}

// What the MQTT front needs of a broker connection; the embedded broker and an external client both provide it.
import type { Principal } from '../policy/principal.js';

export interface InboundMessage {
  topic: string;
  payload: Buffer;
  /** Set when the broker replays a stored (retained) message, and on embedded-broker publishes that ask to be retained. */
  retain?: boolean;
  /** MQTT's DUP flag: the broker (or the client) is sending this again because it saw no PUBACK. */
  dup?: boolean;
  /** MQTT 5 properties, when the sender used them. */
  contentType?: string;
  responseTopic?: string;
  correlationData?: Buffer;
  /** Who sent it, as the broker authenticated them; undefined: nobody (e.g. the agent's own publish). */
  principal?: Principal;
}

export interface PublishOptions {
  qos?: 0 | 1;
  retain?: boolean;
  contentType?: string;
  correlationData?: Buffer;
}

/**
 * Resolving means the message is taken (a request: journaled, or refused); for QoS 1 the PUBACK follows.
 * A handler never waits for anything that needs the connection's next inbound packet (e.g. its own
 * publish's PUBACK): the client reads no further packet until it resolves.
 */
export type MessageHandler = (message: InboundMessage) => Promise<void>;

export interface MqttTransport {
  /** Whether publishes can carry MQTT 5 properties to their receivers. */
  readonly speaksV5: boolean;
  subscribe(filters: string[], handler: MessageHandler): Promise<void>;
  /** Called after the connection to a broker came back (an external broker may have sent our will meanwhile). */
  onReconnect?(listener: () => void): void;
  publish(topic: string, payload: Buffer | string, options?: PublishOptions): Promise<void>;
  close(): Promise<void>;
}

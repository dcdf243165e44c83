// `sparkplug` in the configuration file (CONTRACT section 14): absent or without `url`, the edge node is off.
import { z } from 'zod/v3';
import { brokerLoginFields } from '../config/broker-login.js';
import { TOPIC_ID } from './topics.js';
import { DEFAULT_REBIRTH_MIN_INTERVAL_MS } from './rebirth-pacing.js';

const topicId = z.string().regex(TOPIC_ID, 'one topic level: no / + # or NUL, at most 128 characters');

export const sparkplugConfigSchema = z
  .object({
    ...brokerLoginFields,
    /** 4 (3.1.1, what Sparkplug 3.0 is written against) or 5. */
    protocolVersion: z.union([z.literal(4), z.literal(5)]).default(4),
    /** Send the password in clear beyond loopback anyway (as `mqtt.allowPlaintext`). */
    allowPlaintext: z.boolean().default(false),
    groupId: topicId.default('sma'),
    /** Default: `agent.id`. */
    edgeNodeId: topicId.optional(),
    primaryHostId: topicId.optional(),
    trustDevices: z.boolean().default(false),
    acceptCommands: z.boolean().default(true),
    /** Rebirths on request (NCMD Node Control/Rebirth) at most this often; requests between are merged, never dropped. */
    rebirthMinIntervalMs: z.number().int().min(0).max(3_600_000).default(DEFAULT_REBIRTH_MIN_INTERVAL_MS),
  })
  .strict()
  .default({});

export type SparkplugConfig = z.infer<typeof sparkplugConfigSchema>;

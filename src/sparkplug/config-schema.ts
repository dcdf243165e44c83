// `sparkplug` in the configuration file (CONTRACT section 14): absent or without `url`, the edge node is off.
import { z } from 'zod/v3';
import { brokerLoginFields } from '../config/broker-login.js';
import { TOPIC_ID } from './topics.js';

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
  })
  .strict()
  .default({});

export type SparkplugConfig = z.infer<typeof sparkplugConfigSchema>;

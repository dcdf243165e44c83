// `watch` (sampling and history) and `rules` (CONTRACT section 15), validated at start like every key: an
// unknown metric or action, a threshold that is not a number, a duplicate rule name stop the agent with the
// key's path.
import { z } from 'zod/v3';
import { serviceNameSchema } from '../model.js';
import { SERVICE_NAME } from '../names.js';
import { METRICS } from '../operations/watch-ports.js';

export const watchConfigSchema = z
  .object({
    /** Every running service is sampled this often, all on one timer. */
    intervalMs: z.number().int().min(1_000).max(3_600_000).default(10_000),
    /** Raw samples are kept this long. */
    rawWindowMs: z.number().int().min(60_000).max(86_400_000).default(3_600_000),
    /** One-minute min/avg/max are kept this long. */
    historyHours: z.number().int().min(1).max(24 * 31).default(24),
  })
  .strict()
  .default({});

const ruleSchema = z
  .object({
    // A rule's name becomes a topic level (R/event/alert/{rule}/{name}): the service names' syntax.
    name: z.string().regex(SERVICE_NAME, 'must match ^[a-z0-9][a-z0-9._-]{0,62}$ (it becomes a topic level)'),
    service: z.union([z.literal('*'), serviceNameSchema]),
    metric: z.enum(METRICS),
    above: z.number().finite().optional(),
    below: z.number().finite().optional(),
    /** How long the condition must hold before the rule fires: one sample over the line is not enough. */
    forMs: z.number().int().min(0).max(86_400_000).default(30_000),
    /** Where it resolves (default: the threshold itself): a band between the two keeps a flapping value FIRING. */
    clearAt: z.number().finite().optional(),
    action: z.enum(['alert', 'restart', 'stop']).default('alert'),
    maxActions: z.number().int().min(0).max(1_000).default(3),
    actionWindowMs: z.number().int().min(1_000).max(30 * 86_400_000).default(3_600_000),
  })
  .strict()
  .superRefine((r, ctx) => {
    if ((r.above === undefined) === (r.below === undefined)) ctx.addIssue({ code: 'custom', message: 'give exactly one of above and below', path: ['above'] });
    if (r.clearAt !== undefined && r.above !== undefined && r.clearAt > r.above) ctx.addIssue({ code: 'custom', message: 'must not be above `above`', path: ['clearAt'] });
    if (r.clearAt !== undefined && r.below !== undefined && r.clearAt < r.below) ctx.addIssue({ code: 'custom', message: 'must not be below `below`', path: ['clearAt'] });
  });

export type Rule = z.infer<typeof ruleSchema>;

export const rulesConfigSchema = z
  .array(ruleSchema)
  .max(256)
  .default([])
  .superRefine((rules, ctx) => {
    const seen = new Set<string>();
    rules.forEach((r, i) => {
      if (seen.has(r.name)) ctx.addIssue({ code: 'custom', message: `duplicate rule name ${r.name}`, path: [i, 'name'] });
      seen.add(r.name);
    });
  });

export type WatchConfig = z.infer<typeof watchConfigSchema>;

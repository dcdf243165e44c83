// `logs`: how much of each service's output the agent keeps (CONTRACT section 16).
import { z } from 'zod/v3';

export const logsConfigSchema = z
  .object({
    /** Lines kept per service. */
    lines: z.number().int().min(1).max(100_000).default(1_000),
    /** Bytes kept per service, whatever the line count: the bound a flood of long lines meets. */
    maxBytes: z.number().int().min(4_096).max(64 * 1024 * 1024).default(256 * 1024),
    /** A longer line is cut there (marked ` [cut]`). */
    maxLineBytes: z.number().int().min(80).max(65_536).default(4_096),
  })
  .strict()
  .default({});

export type LogsConfig = z.infer<typeof logsConfigSchema>;

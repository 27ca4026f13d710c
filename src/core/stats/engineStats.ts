import * as z from 'zod';

// One object of GET /containers/{id}/stats, as Docker (cgroup v1 and v2) and Podman send it: every field
// the computation reads is optional (v2 has no percpu_usage, Podman sends precpu_stats empty, Windows
// daemons send other fields), and unknown ones are ignored.

const CpuStats = z
  .object({
    cpu_usage: z
      .object({ total_usage: z.number().optional(), percpu_usage: z.array(z.number()).nullish() })
      .partial()
      .optional(),
    system_cpu_usage: z.number().optional(),
    online_cpus: z.number().optional(),
  })
  .partial();

const BlkioEntry = z.object({ op: z.string(), value: z.number() });

export const EngineStatsSchema = z.object({
  read: z.string().optional(),
  preread: z.string().optional(),
  cpu_stats: CpuStats.optional(),
  precpu_stats: CpuStats.optional(),
  memory_stats: z
    .object({ usage: z.number().optional(), limit: z.number().optional(), stats: z.record(z.string(), z.number()).optional() })
    .partial()
    .optional(),
  networks: z.record(z.string(), z.object({ rx_bytes: z.number().optional(), tx_bytes: z.number().optional() })).nullish(),
  blkio_stats: z
    .object({ io_service_bytes_recursive: z.array(BlkioEntry).nullish() })
    .partial()
    .optional(),
  pids_stats: z.object({ current: z.number().optional() }).partial().optional(),
});
export type EngineStats = z.output<typeof EngineStatsSchema>;
export type CpuStats = z.output<typeof CpuStats>;

import * as z from 'zod';
import { formatMemory, parseMemory } from '../../config/units';
import { parseRequestLabel, type RunAsk } from './placement';

/** One user's limits on a pool (containerExec.budgets["<pool or configuration>"]). */
export const BudgetSchema = z
  .object({
    maxRuns: z.number().int().min(1, { error: 'maxRuns must be a whole number of at least 1' }).optional(),
    memory: z
      .union([z.string(), z.number()])
      .refine((v) => parseMemory(v) !== undefined, { message: 'memory must be a size like 8g or 512m' })
      .optional(),
    cpus: z.number().positive({ error: 'cpus must be more than 0' }).optional(),
    gpus: z.number().int().min(0, { error: 'gpus must be a whole number, 0 or more' }).optional(),
    perDaemonRuns: z.number().int().min(1, { error: 'perDaemonRuns must be a whole number of at least 1' }).optional(),
  })
  .strict();
export type Budget = z.output<typeof BudgetSchema>;

/** containerExec.budgets: pool (configuration) name → budget. */
export const BudgetsSchema = z.record(z.string(), BudgetSchema);

/** A user's runs of a pool, counted from the daemons by label (claims and run containers alike, one per run id). */
export interface Usage {
  runs: number;
  cpus: number;
  memoryBytes: number;
  gpus: number;
}

export function usageOf(requests: Iterable<string | undefined>): Usage {
  const u: Usage = { runs: 0, cpus: 0, memoryBytes: 0, gpus: 0 };
  for (const text of requests) {
    const r = parseRequestLabel(text);
    u.runs++;
    u.cpus += r.cpus;
    u.memoryBytes += r.memoryBytes;
    u.gpus += r.gpus;
  }
  return u;
}

/** Why one run can never fit the budget (refused at once), or undefined. */
export function neverFits(b: Budget | undefined, r: RunAsk, pool: string): string | undefined {
  if (!b) return undefined;
  const memory = b.memory !== undefined ? parseMemory(b.memory)! : undefined;
  if (memory !== undefined && r.memoryBytes > memory)
    return `the run asks ${formatMemory(r.memoryBytes)} memory, more than your whole memory budget on ${pool}: ${formatMemory(memory)} (containerExec.budgets)`;
  if (memory !== undefined && r.memoryBytes === 0)
    return `the run sets no resources.memory, but your budget on ${pool} limits memory to ${formatMemory(memory)}: give the configuration a resources.memory (containerExec.budgets)`;
  if (b.cpus !== undefined && r.cpus > b.cpus)
    return `the run asks ${r.cpus} CPUs, more than your whole CPU budget on ${pool}: ${b.cpus} (containerExec.budgets)`;
  if (b.cpus !== undefined && r.cpus === 0)
    return `the run sets no resources.cpus, but your budget on ${pool} limits CPUs to ${b.cpus}: give the configuration a resources.cpus (containerExec.budgets)`;
  if (b.gpus !== undefined && r.gpus > b.gpus)
    return `the run asks ${r.gpus} GPUs, more than your GPU budget on ${pool}: ${b.gpus} (containerExec.budgets)`;
  return undefined;
}

/** Why `r` does not fit next to `used` now ("your memory budget 8g has 6g in use"), or undefined. */
export function overBudget(b: Budget | undefined, used: Usage, r: RunAsk): string | undefined {
  if (!b) return undefined;
  if (b.maxRuns !== undefined && used.runs + 1 > b.maxRuns) return `your budget of ${b.maxRuns} concurrent runs has ${used.runs} running`;
  const memory = b.memory !== undefined ? parseMemory(b.memory)! : undefined;
  if (memory !== undefined && used.memoryBytes + r.memoryBytes > memory)
    return `your memory budget ${formatMemory(memory)} has ${formatMemory(used.memoryBytes)} in use`;
  if (b.cpus !== undefined && used.cpus + r.cpus > b.cpus + 1e-9) return `your CPU budget ${b.cpus} has ${used.cpus} in use`;
  if (b.gpus !== undefined && used.gpus + r.gpus > b.gpus) return `your GPU budget ${b.gpus} has ${used.gpus} in use`;
  return undefined;
}

export const ordinal = (n: number) => `${n}${n % 100 >= 11 && n % 100 <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th')}`;

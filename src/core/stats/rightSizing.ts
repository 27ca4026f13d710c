import type { Configuration } from '../config/configurationSchema';
import { parseMemory } from '../config/units';
import { memoryText } from './usageSummary';
import type { UsageSummary } from './usageSummary';

/** A finished run as right-sizing reads it (newest first in the list given). */
export interface SizedRun {
  recipe: string;
  configuration: string;
  usage?: UsageSummary;
}

/** How many recent runs of a recipe a hint reads. */
export const RIGHT_SIZING_RUNS = 5;
/** Headroom a better-fitting configuration must leave over the peaks seen. */
const HEADROOM = 1.25;

const memoryOf = (c: Configuration) => (c.resources.memory === undefined ? undefined : parseMemory(c.resources.memory));

/** A configuration on the same target and image that holds the peaks with headroom, smaller (or, when nearly full, larger) than `c`. */
function betterFit(
  c: Configuration,
  others: readonly Configuration[],
  peakMem: number,
  peakCpus: number,
  grant: number,
): Configuration | undefined {
  const nearlyFull = peakMem >= 0.9 * grant;
  const oversized = peakMem * 2 < grant;
  if (!nearlyFull && !oversized) return undefined;
  const fits = others
    .filter((o) => o.name !== c.name && o.daemon === c.daemon && String(o.pool) === String(c.pool) && o.baseImage === c.baseImage)
    .filter((o) => {
      const mem = memoryOf(o);
      return mem !== undefined && mem >= peakMem * HEADROOM && (o.resources.cpus === undefined || o.resources.cpus >= peakCpus * HEADROOM);
    })
    .filter((o) => (nearlyFull ? memoryOf(o)! > grant : memoryOf(o)! < grant))
    .sort((a, b) => memoryOf(a)! - memoryOf(b)!);
  return fits[0];
}

/**
 * What the last runs of a configuration used against what it grants, for its tooltip: "last 5 runs of
 * train.py: peak 1.1 of 17.2 GB, CPU 0.9 of 8", and a configuration that fits better when one does.
 * Only a hint: nothing is changed. Undefined until a run of it was sampled.
 */
export function rightSizingHint(c: Configuration, runs: readonly SizedRun[], others: readonly Configuration[]): string | undefined {
  const sampled = runs.filter((r) => r.configuration === c.name && r.usage);
  const recipe = sampled[0]?.recipe;
  if (recipe === undefined) return undefined;
  const last = sampled.filter((r) => r.recipe === recipe).slice(0, RIGHT_SIZING_RUNS);
  const peakMem = Math.max(...last.map((r) => r.usage!.peakMemBytes));
  const peakCpus = Math.max(...last.map((r) => r.usage!.peakCpuPct)) / 100;
  const grant = memoryOf(c) ?? last[0]!.usage!.memLimitBytes;
  const cpus = c.resources.cpus ?? last[0]!.usage!.cpuLimit;
  const runsText = last.length === 1 ? 'last run' : `last ${last.length} runs`;
  const text = `${runsText} of ${recipe}: peak ${memoryText(peakMem, grant)}, CPU ${peakCpus.toFixed(1)}${cpus ? ` of ${cpus}` : ''}`;
  const better = grant ? betterFit(c, others, peakMem, peakCpus, grant) : undefined;
  if (!better) return text;
  return `${text}; configuration ${better.name} (memory ${better.resources.memory}${better.resources.cpus ? `, ${better.resources.cpus} CPUs` : ''}) fits ${peakMem >= 0.9 * grant! ? 'with more room' : 'them with less held'}`;
}

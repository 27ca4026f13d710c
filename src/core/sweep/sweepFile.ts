import { z } from 'zod';
import { expandMatrix, type Combination, type Matrix, type ParamValue } from './matrix';

/** A sweep file's name ends with it (the explorer's Run Sweep… and the JSON schema match it). */
export const SWEEP_FILE_SUFFIX = '.sweep.json';
/** Trials run at once when the file does not say (`maxParallel`). */
export const DEFAULT_MAX_PARALLEL = 4;

/** A bad sweep file: names the file, the field and what to do; nothing was created. */
export class SweepFileError extends Error {
  constructor(
    readonly file: string,
    readonly field: string,
    readonly detail: string,
  ) {
    super(`Sweep file ${file}: ${field ? `${field}: ` : ''}${detail}`);
  }
}

const Scalar = z.union([z.string(), z.number(), z.boolean()]);
const Pairs = z.record(z.string(), Scalar);

/** The file as written (the matrix is checked by hand below: its messages name the key). */
export const SweepFileSchema = z.strictObject({
  $schema: z.string().optional(),
  /** Workspace-relative, like a run task's recipe. */
  recipe: z.string().min(1),
  /** The execution configuration every trial runs on; absent: chosen as for Run Recipe. */
  configuration: z.string().min(1).optional(),
  matrix: z.record(z.string(), z.unknown()),
  /** The recipe's arguments, `${name}` replaced by the trial's value of parameter `name`. */
  args: z.array(z.string()).default([]),
  maxParallel: z.number().int().min(1).default(DEFAULT_MAX_PARALLEL),
  failFast: z.boolean().default(false),
  /** Trials that may fail (after their retries) before the rest are cancelled; absent: no limit (0 with failFast). */
  maxFailures: z.number().int().min(0).optional(),
  /** Per trial: how many more attempts after a failure that is not the recipe's own (a daemon lost, an engine error). */
  retries: z.number().int().min(0).max(10).default(0),
  /** Retry also when the recipe itself failed (a non-zero exit, OOM). */
  retryRecipeFailures: z.boolean().default(false),
});
export type SweepFile = z.output<typeof SweepFileSchema>;

export interface TrialPlan {
  /** 0-based, in the matrix's order; SWEEP_TRIAL. */
  index: number;
  params: Combination;
  args: string[];
  /** SWEEP_<NAME> per parameter, SWEEP_TRIAL and SWEEP_ID. */
  env: Record<string, string>;
}

export interface SweepPlan {
  file: SweepFile;
  trials: TrialPlan[];
  /** Failures (after retries) the sweep takes before it cancels the rest; Infinity: no limit. */
  failureBudget: number;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const PLACEHOLDER = /\$\{([^}]*)\}/g;

/** Parses and checks a sweep file's text; every refusal names the file and the field. */
export function parseSweepFile(fileName: string, text: string): SweepFile {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new SweepFileError(fileName, '', `not valid JSON (${(e as Error).message}): fix the syntax.`);
  }
  const r = SweepFileSchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    const field = issue.path.join('.');
    const what = issue.code === 'unrecognized_keys' ? `unknown field(s) ${issue.keys.join(', ')}: remove them` : issue.message;
    throw new SweepFileError(fileName, field, `${what}.`);
  }
  if (r.data.failFast && r.data.maxFailures !== undefined && r.data.maxFailures > 0)
    throw new SweepFileError(fileName, 'maxFailures', `failFast stops at the first failure: remove maxFailures or failFast.`);
  return r.data;
}

/** The matrix field as axes, include and exclude, each key checked. */
export function readMatrix(fileName: string, matrix: Record<string, unknown>): Matrix {
  const axes: Record<string, ParamValue[]> = {};
  for (const [key, values] of Object.entries(matrix)) {
    if (key === 'include' || key === 'exclude') continue;
    if (!IDENTIFIER.test(key))
      throw new SweepFileError(
        fileName,
        `matrix.${key}`,
        `"${key}" is not a parameter name: use letters, digits and _ (not first a digit).`,
      );
    const r = z.array(Scalar).min(1).safeParse(values);
    if (!r.success) throw new SweepFileError(fileName, `matrix.${key}`, `give a non-empty list of strings, numbers or booleans.`);
    axes[key] = r.data;
  }
  const entries = (name: 'include' | 'exclude'): Combination[] | undefined => {
    if (matrix[name] === undefined) return undefined;
    const r = z.array(Pairs).safeParse(matrix[name]);
    if (!r.success)
      throw new SweepFileError(fileName, `matrix.${name}`, `give a list of objects of parameter values (strings, numbers or booleans).`);
    r.data.forEach((entry, i) => {
      const keys = Object.keys(entry);
      if (!keys.length) throw new SweepFileError(fileName, `matrix.${name}[${i}]`, `names no parameter: give at least one.`);
      for (const k of keys) {
        if (!IDENTIFIER.test(k))
          throw new SweepFileError(fileName, `matrix.${name}[${i}].${k}`, `"${k}" is not a parameter name: use letters, digits and _.`);
        if (name === 'exclude' && !(k in axes))
          throw new SweepFileError(
            fileName,
            `matrix.exclude[${i}].${k}`,
            `"${k}" is not a key of the matrix (${Object.keys(axes).join(', ') || 'none'}): exclude removes combinations of its keys.`,
          );
      }
    });
    return r.data;
  };
  return { axes, include: entries('include'), exclude: entries('exclude') };
}

/** The argument template with the trial's values; every placeholder was checked by `planSweep`. */
const fillArgs = (args: string[], params: Combination) =>
  args.map((a) => a.replace(PLACEHOLDER, (_, name: string) => String(params[name])));

const envName = (param: string) => `SWEEP_${param.toUpperCase()}`;

/** The trials of a sweep file: the matrix expanded, each trial's arguments and environment; refusals name the field. */
export function planSweep(fileName: string, text: string, sweepId: string): SweepPlan {
  const file = parseSweepFile(fileName, text);
  const combos = expandMatrix(readMatrix(fileName, file.matrix));
  if (!combos.length)
    throw new SweepFileError(
      fileName,
      'matrix',
      'the grid is empty (every combination excluded, or no key): give each parameter its values.',
    );
  const names = [...new Set(combos.flatMap((c) => Object.keys(c)))];
  const byEnv = new Map<string, string>();
  for (const n of names) {
    const other = byEnv.get(envName(n));
    if (other) throw new SweepFileError(fileName, `matrix.${n}`, `"${n}" and "${other}" both give ${envName(n)}: rename one.`);
    byEnv.set(envName(n), n);
  }
  file.args.forEach((arg, i) => {
    for (const [, name] of arg.matchAll(PLACEHOLDER)) {
      if (!names.includes(name!))
        throw new SweepFileError(
          fileName,
          `args[${i}]`,
          `\${${name}} names no parameter of the matrix (${names.join(', ')}): use one of them.`,
        );
      const lacking = combos.findIndex((c) => !(name! in c));
      if (lacking >= 0)
        throw new SweepFileError(
          fileName,
          `args[${i}]`,
          `\${${name}}: trial ${lacking} (${JSON.stringify(combos[lacking])}) has no value for "${name}": give it one in the matrix or an include.`,
        );
    }
  });
  const trials = combos.map((params, index) => ({
    index,
    params,
    args: fillArgs(file.args, params),
    env: {
      ...Object.fromEntries(Object.entries(params).map(([k, v]) => [envName(k), String(v)])),
      SWEEP_TRIAL: String(index),
      SWEEP_ID: sweepId,
    },
  }));
  const failureBudget = file.failFast ? 0 : (file.maxFailures ?? Infinity);
  return { file, trials, failureBudget };
}

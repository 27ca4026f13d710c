/** A parameter's value in a sweep: what JSON gives a scalar. */
export type ParamValue = string | number | boolean;
/** One combination of the matrix: parameter name → value. */
export type Combination = Record<string, ParamValue>;

export interface Matrix {
  /** Each key's values; the combinations are their cartesian product (in the keys' order). */
  axes: Record<string, ParamValue[]>;
  include?: Combination[];
  exclude?: Combination[];
}

const matches = (c: Combination, pattern: Combination) => Object.entries(pattern).every(([k, v]) => c[k] === v);

/** The cartesian product of the axes, the first key varying slowest (as GitHub Actions lists its jobs). */
function product(axes: Record<string, ParamValue[]>): Combination[] {
  let out: Combination[] = Object.keys(axes).length ? [{}] : [];
  for (const [key, values] of Object.entries(axes)) out = out.flatMap((c) => values.map((v) => ({ ...c, [key]: v })));
  return out;
}

/**
 * The combinations of a matrix with GitHub Actions' rules: the cartesian product of the axes; `exclude`
 * removes every combination matching all of an entry's pairs (applied first); each `include` entry is
 * added to every product combination whose original values it does not overwrite (values an earlier
 * include added may be overwritten), and when it fits none, it is a combination of its own.
 */
export function expandMatrix(m: Matrix): Combination[] {
  const originals = product(m.axes).filter((c) => !(m.exclude ?? []).some((e) => matches(c, e)));
  const combos = originals.map((c) => ({ original: c, values: { ...c } }));
  const added: Combination[] = [];
  for (const entry of m.include ?? []) {
    let fitted = false;
    for (const c of combos) {
      const overwrites = Object.entries(entry).some(([k, v]) => k in c.original && c.original[k] !== v);
      if (overwrites) continue;
      Object.assign(c.values, entry);
      fitted = true;
    }
    if (!fitted) added.push({ ...entry });
  }
  return [...combos.map((c) => c.values), ...added];
}

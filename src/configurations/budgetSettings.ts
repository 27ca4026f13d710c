import * as vscode from 'vscode';
import type * as z from 'zod';
import { BudgetSchema, type Budget } from '../core';
import { SECTION } from '../settings';
import { workspaceTrust } from '../workspaceTrust';

export interface InvalidBudget {
  scope: 'user' | 'workspace';
  /** The pool (configuration) name it is keyed by; undefined when the whole setting is not an object. */
  name?: string;
  error: string;
}

export interface BudgetSources {
  /** Valid budgets by pool name (a workspace one replaces the user one of the same name). */
  budgets: Map<string, Budget>;
  invalid: InvalidBudget[];
}

/** Where to look, and what to do, in a refusal: `containerExec.budgets["gpu-pool"] (user settings)`. */
export const budgetKey = (e: InvalidBudget) => `containerExec.budgets${e.name === undefined ? '' : `[${JSON.stringify(e.name)}]`}`;

/**
 * containerExec.budgets, each pool's entry validated alone: a bad entry is reported for that pool (the
 * view shows it, its runs are refused saying why), never a failure of every pool. A restricted setting:
 * in Restricted Mode only user settings count, so an untrusted workspace cannot loosen your budgets.
 */
export function readBudgets(): BudgetSources {
  const inspected = vscode.workspace.getConfiguration(SECTION).inspect<unknown>('budgets');
  const budgets = new Map<string, Budget>();
  const invalid: InvalidBudget[] = [];
  const scopes: [InvalidBudget['scope'], unknown][] = [['user', inspected?.globalValue]];
  if (workspaceTrust.isTrusted()) scopes.push(['workspace', inspected?.workspaceValue]);
  for (const [scope, value] of scopes) {
    if (value === undefined || value === null) continue;
    if (typeof value !== 'object' || Array.isArray(value)) {
      invalid.push({ scope, error: `must be an object of configuration name → budget, not ${JSON.stringify(value)}` });
      continue;
    }
    for (const [name, raw] of Object.entries(value)) {
      const at = invalid.findIndex((e) => e.name === name);
      if (at >= 0) invalid.splice(at, 1);
      budgets.delete(name);
      const r = BudgetSchema.safeParse(raw);
      if (r.success) budgets.set(name, r.data);
      else
        invalid.push({
          scope,
          name,
          error: r.error.issues.map(issueText).join('; '),
        });
    }
  }
  return { budgets, invalid };
}

const issueText = (i: z.core.$ZodIssue): string => {
  if (i.code === 'unrecognized_keys')
    return `unknown key ${i.keys.map((k) => `"${k}"`).join(', ')} (known: maxRuns, memory, cpus, gpus, perDaemonRuns)`;
  const key = i.path.join('.');
  return !key || i.message.startsWith(key) ? i.message : `${key}: ${i.message}`;
};

/** Why runs of `pool` may not start with the budgets as they are, or undefined. */
export function budgetRefusal(sources: BudgetSources, pool: string): string | undefined {
  const bad = sources.invalid.find((e) => e.name === pool || e.name === undefined);
  if (!bad) return undefined;
  return `${budgetKey(bad)} (${bad.scope} settings) is invalid: ${bad.error}. Runs of pool "${pool}" are refused rather than run past the budget you meant: fix it in ${bad.scope} settings, or remove it.`;
}

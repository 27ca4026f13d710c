// What runRecipeUntilTrusted.test.ts (untrusted, before tasksUntilTrusted.test.ts grants trust) hands to
// trustedRunRecipe.test.ts (after it): files run in name order, and trust cannot be undone in this host.

/** The recipe both files run, on `user-cfg` (a user-settings configuration); the daemon's containers carry its name. */
export const UNTRUSTED_RECIPE = 'restricted-run-recipe.sh';

export const untrustedRun: { since?: string; trustedAt?: Promise<number> } = {};

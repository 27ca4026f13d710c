// The one channel from an in-host test to the browser driving its workbench (runInHost in browser.ts): the
// extension host cannot reach the workbench's DOM, but its console reaches the driver. Kept apart from
// browser.ts so that the host does not load playwright.

/** Where in the workbench the driver may be asked to click, and how it finds it. */
export const CLICK_PLACES = {
  'the Workspace Trust editor': '.workspace-trust-editor .workspace-trust-buttons-row',
  'the notifications center': '.notifications-center',
} as const;
export type ClickPlace = keyof typeof CLICK_PLACES;

/** The console line asking the driver to click a button. */
export const BROWSER_CLICK = /^\[browser, please\] click the button "(.+)" in (.+)$/;

/** Asks the browser driving this workbench to click the button whose label starts with `label` in `place`, once it shows. */
export const askBrowserToClick = (label: string, place: ClickPlace): void =>
  console.log(`[browser, please] click the button "${label}" in ${place}`);

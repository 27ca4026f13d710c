// Renders media/icon.png (the Marketplace's 128×128 icon) from media/container-exec.svg's drawing, in colour on a
// dark tile, with Debian's chromium through playwright-core. The PNG is committed: run this only to change it.
import { chromium } from 'playwright-core';

const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="128" height="128" viewBox="0 0 24 24">
  <rect width="24" height="24" rx="4.5" fill="#1e3a5f"/>
  <g transform="translate(2.4 2.4) scale(0.8)" fill="none" stroke="#ffffff" stroke-width="1.5" stroke-linejoin="round">
    <path d="M3 7.5 12 3l9 4.5v9L12 21l-9-4.5z"/>
    <path d="M3 7.5 12 12l9-4.5M12 12v9"/>
    <path d="M6.5 11.2v3.6l3 1.5-3-1.5"/>
    <path d="M15 13.2l3 1.6-3 1.6z" fill="#4fc3f7" stroke="#4fc3f7"/>
  </g>
</svg>`;

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: ['--no-sandbox'] });
try {
  const page = await browser.newPage({ viewport: { width: 128, height: 128 }, deviceScaleFactor: 1 });
  await page.setContent(`<body style="margin:0">${svg}</body>`);
  await page.locator('svg').screenshot({ path: 'media/icon.png', omitBackground: true });
} finally {
  await browser.close();
}

// Takes the README screenshots of the kcfg VS Code extension in code-server.
const puppeteer = require('puppeteer-core');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
(async () => {
  const out = process.argv[2] || '.';
  const browser = await puppeteer.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--window-size=1200,760'],
    defaultViewport: { width: 1200, height: 760 },
  });
  const page = await browser.newPage();
  await page.goto('http://127.0.0.1:8123/?folder=' + (process.env.SHOTS_FOLDER || '/work/shots/ws'), { waitUntil: 'networkidle2', timeout: 120000 });
  await page.waitForSelector('.monaco-workbench', { timeout: 120000 });
  await sleep(8000);
  const key = async (...ks) => { for (const k of ks.slice(0, -1)) await page.keyboard.down(k); await page.keyboard.press(ks[ks.length - 1]); for (const k of ks.slice(0, -1).reverse()) await page.keyboard.up(k); };
  // open the config
  await key('Control', 'p'); await sleep(1500);
  await page.keyboard.type('kamailio.cfg'); await sleep(1500);
  await page.keyboard.press('Enter'); await sleep(10000);
  const gotoLine = async (l, c) => { await key('Control', 'g'); await sleep(800); await page.keyboard.type(`${l}:${c}`); await page.keyboard.press('Enter'); await sleep(800); };
  // diagnostics: problems panel
  await key('Control', 'Shift', 'm'); await sleep(3000);
  await gotoLine(21, 25); await sleep(1500);
  await page.screenshot({ path: `${out}/diagnostics.png` });
  await key('Control', 'j'); await sleep(1000);
  // hover on a function
  await gotoLine(30, 8);
  await key('Control', 'k'); await key('Control', 'i'); await sleep(3000);
  await page.screenshot({ path: `${out}/hover.png` });
  await page.keyboard.press('Escape'); await sleep(500);
  // completion: new line in request_route
  await gotoLine(26, 14); await page.keyboard.press('End'); await page.keyboard.press('Enter');
  await page.keyboard.type('t_re', { delay: 80 }); await sleep(800);
  await key('Control', ' '); await sleep(3000);
  await page.screenshot({ path: `${out}/completion.png` });
  await browser.close();
})().catch((e) => { console.error(e); process.exit(1); });

// drive.js: opens a pyreplay timeline page in Debian's headless Chromium (playwright-core) and
// reports what the page shows, as JSON on stdout. Used by tests/e2e/test_timeline.py and
// tests/bench/bench_timeline.py.
//
//   node drive.js '{"page": "/tmp/t.html", "screenshot": "/tmp/t.png", "click": [[1374, "connect"]]}'
//   node drive.js '{"page": "/tmp/big.html", "bench": {"pans": 30}}'
//
// Nothing is fetched: every request other than the page itself fails the run.
"use strict";
const fs = require("fs");
const os = require("os");
const path = require("path");
const {chromium} = require("playwright-core");

const CHROMIUM = process.env.PYREPLAY_CHROMIUM || "/usr/bin/chromium";

async function main() {
  const args = JSON.parse(process.argv[2]);
  const userData = fs.mkdtempSync(path.join(os.tmpdir(), "pyreplay-chromium-"));
  const context = await chromium.launchPersistentContext(userData, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: args.viewport || {width: 1400, height: 800},
    deviceScaleFactor: args.scale || 1,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  const out = {console: [], consoleErrors: [], pageErrors: [], requests: []};
  try {
    const page = context.pages()[0] || await context.newPage();
    const pageUrl = "file://" + path.resolve(args.page);
    page.on("console", msg => {
      out.console.push(msg.type() + ": " + msg.text());
      if (msg.type() === "error") out.consoleErrors.push(msg.text());
    });
    page.on("pageerror", err => out.pageErrors.push(String(err)));
    page.on("request", req => { if (req.url() !== pageUrl) out.requests.push(req.url()); });

    const t0 = Date.now();
    await page.goto(pageUrl, {waitUntil: "load"});
    await page.waitForFunction(() => window.pyreplayTimeline && window.pyreplayTimeline.ready,
                               null, {timeout: 30000});
    out.loadMs = Date.now() - t0;
    out.firstRenderMs = await page.evaluate(() => window.pyreplayTimeline.stats().firstRenderMs);
    out.laneCount = await page.evaluate(() => window.pyreplayTimeline.laneCount());
    out.processCount = await page.evaluate(() => window.pyreplayTimeline.processCount());
    out.threadCount = await page.evaluate(() => window.pyreplayTimeline.threadCount());
    out.arrowCount = await page.evaluate(() => window.pyreplayTimeline.arrowCount());
    out.eventCount = await page.evaluate(() => window.pyreplayTimeline.eventCount());
    out.markCount = await page.evaluate(() => window.pyreplayTimeline.markCount());
    out.laneTids = await page.evaluate(() => window.pyreplayTimeline.laneTids());
    out.arrowPairs = await page.evaluate(() => window.pyreplayTimeline.arrowPairs());
    out.stats = await page.evaluate(() => window.pyreplayTimeline.stats());

    if (args.select) {  // [n, kind]: show an event's details in the screenshot
      await page.evaluate(([n, k]) => window.pyreplayTimeline.clickEvent(n, k), args.select);
    }
    if (args.screenshot) {
      await page.screenshot({path: args.screenshot});
      out.screenshot = args.screenshot;
    }

    // Real clicks: zoom onto the event, then click where it is drawn, then read the details.
    out.clicks = [];
    for (const [n, kind] of args.click || []) {
      const focused = await page.evaluate(([n, k]) => window.pyreplayTimeline.focusEvent(n, k), [n, kind]);
      const pos = await page.evaluate(([n, k]) => window.pyreplayTimeline.eventScreenPos(n, k), [n, kind]);
      let details = null;
      if (focused && pos) {
        await page.mouse.move(pos.x, pos.y);
        const tooltip = await page.evaluate(() => {
          const t = document.getElementById("tooltip");
          return t.style.display === "block" ? t.textContent : null;
        });
        await page.mouse.click(pos.x, pos.y);
        details = await page.evaluate(() => window.pyreplayTimeline.detailsText());
        const command = await page.evaluate(() => {
          const c = document.getElementById("goto-command");
          return c ? c.textContent : null;
        });
        out.clicks.push({event: n, kind, tooltip, details, command});
        if (args.clickScreenshot) await page.screenshot({path: args.clickScreenshot});
      } else {
        out.clicks.push({event: n, kind, details: null, command: null});
      }
    }
    if (args.clickMarks) {
      out.markClicks = [];
      for (const name of args.clickMarks) {
        out.markClicks.push(await page.evaluate(m => window.pyreplayTimeline.clickMark(m), name));
      }
    }
    if (args.interact) {
      // Exercise the controls the way a user would: wheel zoom, drag, axis switch, filters.
      await page.evaluate(() => window.pyreplayTimeline.fit());
      const box = await page.locator("#canvas").boundingBox();
      await page.mouse.move(box.x + box.width / 2, box.y + 120);
      await page.mouse.wheel(0, -400);
      await page.mouse.down();
      await page.mouse.move(box.x + box.width / 2 - 150, box.y + 140, {steps: 5});
      await page.mouse.up();
      await page.selectOption("#axis", "time");
      out.afterTimeAxis = await page.evaluate(() => window.pyreplayTimeline.stats());
      // The whole run on the wall-time axis: where each clicked event stands on it.
      await page.evaluate(() => window.pyreplayTimeline.fit());
      out.timeAxis = await page.evaluate(() => window.pyreplayTimeline.stats());
      out.timeAxisX = [];
      for (const [n, kind] of args.click || []) {
        const p = await page.evaluate(([n, kind]) => window.pyreplayTimeline.eventScreenPos(n, kind), [n, kind]);
        out.timeAxisX.push(p ? p.x : null);
      }
      await page.selectOption("#axis", "event");
      await page.evaluate(() => window.pyreplayTimeline.fit());
      out.eventAxis = await page.evaluate(() => window.pyreplayTimeline.stats());
      await page.click("#fit");
      await page.click("#zoom-in");
      await page.click("#pan-right");
      await page.click("#zoom-out");
      if (await page.locator("input[data-kind=connect]").count()) {
        await page.uncheck("input[data-kind=connect]");
        out.arrowsWithoutConnects = await page.evaluate(() => window.pyreplayTimeline.arrowCount());
        await page.check("input[data-kind=connect]");
      }
      if (args.interact.filter) {
        await page.fill("#thread-filter", String(args.interact.filter));
        out.filteredLanes = await page.evaluate(() => window.pyreplayTimeline.laneCount());
        await page.fill("#thread-filter", "");
      }
      await page.evaluate(() => window.pyreplayTimeline.fit());
      await page.waitForTimeout(100);
    }
    if (args.bench) {
      const pans = args.bench.pans || 30;
      // Each pan redraws synchronously; a batch is timed as a whole because the page's clock is
      // coarse (0.1 ms). Whole view first, then zoomed in 20x.
      out.panMs = await page.evaluate(n => {
        const api = window.pyreplayTimeline;
        const batch = () => {
          const t0 = performance.now();
          for (let i = 0; i < n; i++) api.panBy(i % 2 ? -37 : 41, i % 3 ? 23 : -19);
          return (performance.now() - t0) / n;
        };
        api.fit();
        const whole = batch();
        api.zoom(0.05);
        const zoomed = batch();
        return {whole, zoomed};
      }, pans);
      out.panMedianMs = (out.panMs.whole + out.panMs.zoomed) / 2;
      out.fullRenderMs = await page.evaluate(() => { window.pyreplayTimeline.fit(); return window.pyreplayTimeline.render(); });
      out.benchStats = await page.evaluate(() => window.pyreplayTimeline.stats());
    }
    out.consoleErrorsAfter = out.consoleErrors.length;
  } finally {
    await context.close();
    fs.rmSync(userData, {recursive: true, force: true});
  }
  process.stdout.write(JSON.stringify(out) + "\n");
}

main().catch(err => { process.stderr.write("drive.js: " + (err && err.stack || err) + "\n"); process.exit(1); });

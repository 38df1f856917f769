// Drives headless Chromium over a rendered site: serves the files of <site dir> exactly as the
// server would (content types and security headers from manifest.json), takes screenshots of
// each listed page at phone and desktop widths into <artifacts dir>, runs axe-core (WCAG 2.0 /
// 2.1 A and AA rules) and records Content-Security-Policy violations. Exits 1 on any finding.
//
// usage: node run.mjs <site dir> <artifacts dir> <path>...
import http from "node:http";
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { chromium } from "playwright-core";

const require = createRequire(import.meta.url);
const [siteDir, outDir, ...pages] = process.argv.slice(2);
const manifest = JSON.parse(fs.readFileSync(path.join(siteDir, "manifest.json"), "utf8"));
const axeSource = fs.readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
fs.mkdirSync(outDir, { recursive: true });

// Live updates: event streams stay open; GET /__publish switches entries that have a `next`
// file to it and sends one "publication" event to every open stream.
const streams = [];
let published = false;
const server = http.createServer((req, res) => {
  const p = decodeURIComponent(new URL(req.url, "http://x").pathname);
  if (p.endsWith("/events")) {
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-store" });
    res.write(": open\n\n");
    streams.push(res);
    return;
  }
  if (p === "/__publish") {
    published = true;
    for (const s of streams) s.write('event: publication\ndata: {"election":"demo","tree_size":9,"root_hash":"x"}\n\n');
    res.end("ok");
    return;
  }
  const entry = manifest[p];
  if (!entry) { res.writeHead(404, { "content-type": "text/plain" }); res.end("not found"); return; }
  const headers = { "content-type": entry.content_type };
  for (const [k, v] of entry.headers) headers[k] = v;
  delete headers["strict-transport-security"]; // plain http on localhost
  res.writeHead(200, headers);
  res.end(fs.readFileSync(path.join(siteDir, published && entry.next ? entry.next : entry.file)));
});
await new Promise((r) => server.listen(0, "127.0.0.1", r));
const base = `http://127.0.0.1:${server.address().port}`;

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync"],
});
const findings = [];
// What scrolls sideways on the page: the document, or any box whose content is wider than it.
function sidewaysScrolling() {
  const out = [];
  const doc = document.documentElement;
  if (doc.scrollWidth - doc.clientWidth > 1) out.push(`page is ${doc.scrollWidth - doc.clientWidth}px wider than the viewport`);
  for (const el of document.querySelectorAll("body *")) {
    const ox = getComputedStyle(el).overflowX;
    if ((ox === "auto" || ox === "scroll") && el.scrollWidth - el.clientWidth > 1) {
      out.push(`${el.tagName.toLowerCase()}.${el.className} scrolls ${el.scrollWidth - el.clientWidth}px sideways`);
    }
  }
  return out;
}
const widths = [["phone", 360, 740], ["desktop", 1280, 900]];
for (const p of pages) {
  for (const [label, width, height] of widths) {
    const context = await browser.newContext({ viewport: { width, height } });
    const page = await context.newPage();
    page.on("console", (m) => {
      if (/Content Security Policy/i.test(m.text())) findings.push({ page: p, width, kind: "csp", text: m.text() });
    });
    const resp = await page.goto(base + p, { waitUntil: "load" });
    if (!resp || resp.status() !== 200) findings.push({ page: p, width, kind: "http", text: String(resp && resp.status()) });
    const name = (p.replace(/^\/|\/$/g, "").replace(/[\/.]/g, "_") || "root") + "-" + label + ".png";
    await page.screenshot({ path: path.join(outDir, name), fullPage: true });
    // No horizontal scrolling at any width: neither of the page nor of a box in it (at phone
    // width a table becomes one card per row).
    for (const text of await page.evaluate(sidewaysScrolling)) findings.push({ page: p, width, kind: "overflow", text });
    if (label === "phone") {
      await page.evaluate(axeSource);
      const result = await page.evaluate(() =>
        window.axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } }));
      for (const v of result.violations) {
        findings.push({ page: p, width, kind: "axe", text: `${v.id} (${v.impact}): ${v.help}`,
          nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" ") + " :: " + n.failureSummary) });
      }
    }
    await context.close();
  }
}
// Every page of a whole site at phone width (OVERFLOW_LIST: a file of paths, one a line): none
// may scroll sideways.
if (process.env.OVERFLOW_LIST) {
  const list = fs.readFileSync(process.env.OVERFLOW_LIST, "utf8").split("\n").filter(Boolean);
  const context = await browser.newContext({ viewport: { width: 360, height: 740 } });
  const page = await context.newPage();
  for (const p of list) {
    await page.goto(base + p, { waitUntil: "load" });
    for (const text of await page.evaluate(sidewaysScrolling)) findings.push({ page: p, width: 360, kind: "overflow", text });
  }
  await context.close();
  console.error(`checked ${list.length} pages for sideways scrolling at 360 px`);
}
// A map's areas are reached with the keyboard: Tab to the first, the arrow keys to the next.
if (process.env.MAP_PAGE) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await page.goto(base + process.env.MAP_PAGE, { waitUntil: "load" });
  const label = () => page.evaluate(() => document.activeElement && document.activeElement.getAttribute("aria-label"));
  const names = await page.evaluate(() =>
    Array.from(document.querySelectorAll(".map svg a[href]")).slice(0, 2).map((a) => a.getAttribute("aria-label")));
  await page.evaluate(() => document.querySelector(".map svg a[href]").focus());
  const first = await label();
  await page.keyboard.press("ArrowRight");
  const second = await label();
  await page.keyboard.press("ArrowLeft");
  const back = await label();
  if (!names[1] || first !== names[0] || second !== names[1] || back !== names[0]) {
    findings.push({ page: process.env.MAP_PAGE, kind: "map-keyboard", text: `focus went ${JSON.stringify([first, second, back])}, areas ${JSON.stringify(names)}` });
  }
  await context.close();
}
// Live update: the open page swaps its results region in place and announces it.
{
  const livePage = process.env.LIVE_PAGE;
  const expect = process.env.LIVE_EXPECT;
  if (livePage) {
    const context = await browser.newContext({ viewport: { width: 360, height: 740 } });
    const page = await context.newPage();
    await page.goto(base + livePage, { waitUntil: "load" });
    await page.waitForTimeout(500);
    await fetch(base + "/__publish");
    try {
      // Polled with evaluate (waitForFunction needs eval, which the page's CSP forbids).
      let announced = "";
      for (let i = 0; i < 50 && !announced; i++) {
        await page.waitForTimeout(200);
        announced = await page.evaluate(() => document.getElementById("live").textContent);
      }
      if (!announced) throw new Error("nothing announced within 10 s");
      const text = await page.evaluate(() => document.getElementById("results").textContent);
      if (!text.includes(expect)) findings.push({ page: livePage, kind: "live", text: `results region lacks ${expect}` });
      await page.screenshot({ path: path.join(outDir, "live-update-phone.png"), fullPage: false });
    } catch (e) {
      findings.push({ page: livePage, kind: "live", text: "no live update announced: " + e.message });
    }
    await context.close();
  }
}
// A screen shows one slide at a time, only the contests ?contest= names, moving on every
// ?every= seconds; an embed shows only the widgets ?show= names.
{
  const screenPage = process.env.SCREEN_PAGE;
  if (screenPage) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
    const page = await context.newPage();
    await page.goto(base + screenPage + "?contest=referendum,parliament&every=3", { waitUntil: "load" });
    const shown = () => page.evaluate(() =>
      Array.from(document.querySelectorAll("#results .slide")).filter((s) => !s.hidden).map((s) => s.getAttribute("data-contest")));
    const first = await shown();
    await page.screenshot({ path: path.join(outDir, "screen-desktop.png"), fullPage: false });
    await page.waitForTimeout(3600);
    const second = await shown();
    if (first.join() !== "referendum" || second.join() !== "parliament") {
      findings.push({ page: screenPage, kind: "screen", text: `slides shown ${JSON.stringify(first)} then ${JSON.stringify(second)}` });
    }
    await context.close();
  }
  const widgetPage = process.env.WIDGET_PAGE;
  if (widgetPage) {
    const context = await browser.newContext({ viewport: { width: 360, height: 740 } });
    const page = await context.newPage();
    await page.goto(base + widgetPage + "?show=seats", { waitUntil: "load" });
    const visible = await page.evaluate(() =>
      Array.from(document.querySelectorAll("[data-widget]")).filter((w) => !w.hidden).map((w) => w.getAttribute("data-widget")));
    if (visible.join() !== "seats") findings.push({ page: widgetPage, kind: "widgets", text: `shown: ${JSON.stringify(visible)}` });
    await page.screenshot({ path: path.join(outDir, "widget-seats-phone.png"), fullPage: true });
    await context.close();
  }
}
for (const s of streams) s.end();
await browser.close();
server.close();
fs.writeFileSync(path.join(outDir, "findings.json"), JSON.stringify(findings, null, 2));
console.log(JSON.stringify({ pages: pages.length, screenshots: pages.length * widths.length, findings }, null, 2));
process.exit(findings.length ? 1 : 0);

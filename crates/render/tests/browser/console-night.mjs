// A whole election night driven through the officials' console in headless Chromium, as the
// officials would: each official in a browser of their own (own IndexedDB, own cookies), keys
// chosen as files, every action a click. Driven by crates/cli/tests/console.rs, which starts
// the server, prepares the keys and files, and verifies the log afterwards.
//
// usage: node console-night.mjs <config.json>
// config: { base, election, keys: {county, other, authority, a1, a2, a3}, export, held_note,
//           forged: [note, …], inside_unit, outside_unit, artifacts }
// Prints a JSON summary; exits 1 with the failures on any.
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { chromium } from "playwright-core";

const require = createRequire(import.meta.url);
const cfg = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const axeSource = fs.readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const { base, election } = cfg;
const consoleUrl = `${base}/console/${election}/`;
fs.mkdirSync(cfg.artifacts, { recursive: true });

const failures = [];
const summary = { axe_pages: 0, screenshots: 0, steps: [] };
function check(cond, what) {
  if (!cond) failures.push(what);
  summary.steps.push(`${cond ? "ok" : "FAILED"}: ${what}`);
  return cond;
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync"],
});

// Every console page each official sees is checked with axe and photographed at both widths.
async function audit(page, name) {
  const url = page.url();
  for (const [label, width, height] of [["phone", 360, 740], ["desktop", 1280, 900]]) {
    await page.setViewportSize({ width, height });
    await page.goto(url);
    // Evaluated through the devtools protocol, which the page's CSP does not govern.
    const result = await page.evaluate(axeSource).then(() => page.evaluate(async () => {
      const r = await window.axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } });
      return r.violations.map((v) => `${v.id}: ${v.help} — ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
    })).catch((e) => [`axe did not run: ${e}`]);
    check(result.length === 0, `axe on ${name} at ${width}px: ${result.join("; ") || "0 violations"}`);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    check(overflow <= 0, `${name} at ${width}px does not scroll sideways (${overflow}px)`);
    await page.screenshot({ path: path.join(cfg.artifacts, `console-${name}-${label}.png`), fullPage: true });
    summary.screenshots += 1;
  }
  summary.axe_pages += 1;
  await page.setViewportSize({ width: 1280, height: 900 });
}

async function official(keyFile) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const cspErrors = [];
  page.on("console", (m) => {
    if (/Content Security Policy/i.test(m.text())) cspErrors.push(m.text());
  });
  page.on("pageerror", (e) => cspErrors.push(`script error: ${e.message}`));
  await page.goto(consoleUrl);
  await page.setInputFiles("#key-file", keyFile);
  await Promise.all([
    page.waitForURL(consoleUrl, { waitUntil: "load" }),
    page.click("#sign-in button[type=submit]"),
  ]);
  await page.waitForSelector("text=Signed in as", { timeout: 10000 });
  return { context, page, cspErrors };
}

// Polled with evaluate: waitForFunction needs eval, which the console's CSP forbids.
async function statusText(page) {
  for (let i = 0; i < 150; i++) {
    const t = await page.evaluate(() => (document.getElementById("status") || {}).textContent || "").catch(() => "");
    if (t && !/…$/.test(t.trim())) return t;
    await new Promise((r) => setTimeout(r, 100));
  }
  return "";
}

async function publicSize() {
  const r = await fetch(`${base}/api/v1/elections/${election}/results`);
  return (await r.json()).tree_size;
}

async function post(note) {
  const r = await fetch(`${base}/api/v1/elections/${election}/submissions`, { method: "POST", body: note });
  const j = await r.json().catch(() => ({}));
  return { status: r.status, j };
}

try {
  // The sign-in page, before anybody signs in.
  {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${base}/console/`);
    await page.click(`a[href="/console/${election}/"]`);
    check(await page.isVisible("#key-file"), "the election's console asks for a key file");
    await audit(page, "sign-in");
    // A session that is not (or no longer) valid gets the sign-in page with the reason.
    await context.addCookies([{ name: "skytale_console", value: "expired-or-forged", url: consoleUrl }]);
    const resp = await page.goto(`${consoleUrl}held`);
    check(resp.status() === 401, `a stale session is refused (${resp.status()})`);
    check((await page.textContent("main")).includes("sign in again"), "the refusal says to sign in again");
    await context.close();
  }

  // The county: signs in, uploads its tabulator export, checks the receipts.
  const county = await official(cfg.keys.county);
  await audit(county.page, "night-county");
  await county.page.click("nav >> text=Upload results");
  await audit(county.page, "upload");
  await county.page.setInputFiles("#results-file", cfg.export);
  await county.page.check("input[name=status][value=complete]");
  await county.page.click("#upload button[type=submit]");
  await county.page.waitForSelector("#preview:not([hidden])", { timeout: 15000 });
  const previewText = await county.page.textContent("#preview-body");
  check(/statements to sign/.test(previewText), "the preview says what will be signed");
  check(/Totals in the file/.test(previewText), "the preview shows the file's own totals");
  await county.page.click("button[data-action=send]");
  await county.page.waitForSelector("#receipts:not([hidden])", { timeout: 30000 });
  const receipts = await county.page.textContent("#receipts-body");
  const checked = (receipts.match(/receipt checked/g) || []).length;
  check(checked > 0 && !/does not check|Held|Refused/.test(receipts), `every receipt checked in the browser (${checked}): ${receipts.slice(0, 300)}`);
  summary.receipts_checked = checked;
  const download = await county.page.getAttribute("#receipts-download", "href");
  check(download && download.startsWith("blob:"), "the receipts can be downloaded");
  check((await publicSize()) === cfg.genesis_size, "nothing is public before the approvals");

  // A held submission arrives (counts that look wrong).
  const held = await post(fs.readFileSync(cfg.held_note, "utf8"));
  check(held.status === 202, `the implausible submission is held (${held.status})`);
  await county.page.goto(`${consoleUrl}held`);
  check((await county.page.textContent("main")).includes("Held #"), "the county sees its held submission");
  check(!(await county.page.isVisible("form.review")), "a county cannot release");

  // Another county reads only its own unit's entries.
  const other = await official(cfg.keys.other);
  const otherNight = await other.page.textContent("main");
  check(otherNight.includes(cfg.inside_unit), `the other county sees its own unit (${cfg.inside_unit})`);
  check(!otherNight.includes(cfg.outside_unit), `the other county does not see ${cfg.outside_unit}`);
  await other.page.goto(`${consoleUrl}held`);
  check(!(await other.page.textContent("main")).includes("Held #"), "the other county does not see the held submission");

  // The authority: reviews the held submission, certifies a contest, reads the audit trail.
  const authority = await official(cfg.keys.authority);
  await authority.page.goto(`${consoleUrl}held`);
  await audit(authority.page, "held");
  await authority.page.click("form.review button[value=release]");
  await authority.page.waitForTimeout(500);
  const unsent = await authority.page.evaluate(() => [
    document.querySelector("form.review textarea").validity.valueMissing,
    document.getElementById("status").textContent,
  ]);
  check(unsent[0] && !/Accepted/.test(unsent[1]), "a release without a reason is not sent (the reason is required)");
  await authority.page.fill("form.review textarea", "The county confirmed the figures by phone.");
  await authority.page.click("form.review button[value=release]");
  check(/Accepted: entry/.test(await statusText(authority.page)), "the release is accepted into the log");
  await authority.page.waitForLoadState("load");
  await authority.page.waitForTimeout(2000);
  await authority.page.goto(`${consoleUrl}held`);
  check((await authority.page.textContent("main")).includes("No held submission"), "the released submission left the queue");
  await authority.page.goto(`${consoleUrl}certify`);
  await audit(authority.page, "certify");
  await authority.page.click("form[data-action=certify] button >> nth=0");
  check(/Accepted: entry/.test(await statusText(authority.page)), "the certification is accepted");
  await authority.page.waitForTimeout(2000);
  await authority.page.goto(`${consoleUrl}audit`);
  await audit(authority.page, "audit");
  const trail = await authority.page.textContent("main");
  check(trail.includes("release") && trail.includes("certified"), "the audit trail lists the release and the certification");
  const csv = await authority.page.evaluate(async (u) => (await fetch(u)).text(), `${consoleUrl}audit.csv`);
  check(csv.startsWith("index,time,kind,signed_by,what,sealed") && csv.includes("review"), "the audit trail exports as CSV");

  // An approver may not upload.
  const a1 = await official(cfg.keys.a1);
  const up = await a1.page.goto(`${consoleUrl}upload`);
  check(up.status() === 403, `an approver's key is refused the upload page (${up.status()})`);
  const previewByApprover = await a1.page.evaluate(async ([u, csrf]) => {
    const r = await fetch(u, { method: "POST", body: "x", headers: { "x-skytale-csrf": csrf } });
    return [r.status, (await r.json()).error.code];
  }, [`${consoleUrl}preview`, await a1.page.getAttribute("body", "data-csrf")]);
  check(previewByApprover[0] === 403, `an approver's upload is refused (${previewByApprover.join(" ")})`);
  const noCsrf = await a1.page.evaluate(async (u) => (await fetch(u, { method: "POST" })).status, `${consoleUrl}sign-out`);
  check(noCsrf === 403, `a console write without the anti-forgery token is refused (${noCsrf})`);

  // Approvals: 1 of 2 leaves the public site as it was; a forged or replayed one changes nothing.
  await a1.page.goto(`${consoleUrl}approve`);
  await audit(a1.page, "approve");
  check((await a1.page.textContent("main")).includes("0 of 2 approvals"), "the approval page shows 0 of 2");
  check((await a1.page.textContent("main")).includes("For a second look"), "the approval page lists the figures to look at again");
  let approvalNote = null;
  a1.page.on("request", (r) => {
    if (r.url().endsWith("/submissions") && r.method() === "POST") approvalNote = r.postData();
  });
  await a1.page.click("form[data-action=approve] button");
  check(/Accepted: entry/.test(await statusText(a1.page)), "the first approval is accepted");
  await a1.page.waitForTimeout(2500);
  check((await publicSize()) === cfg.genesis_size, "after 1 of 2 approvals the public site is unchanged");
  await a1.page.goto(`${consoleUrl}approve`);
  check((await a1.page.textContent("main")).includes("1 of 2 approvals"), "the approval page shows 1 of 2");
  const replay = await post(approvalNote);
  check(replay.status === 200 && replay.j.duplicate === true, `a replayed approval is answered as a duplicate (${replay.status})`);
  for (const forged of cfg.forged) {
    const f = await post(fs.readFileSync(forged, "utf8"));
    check(f.status >= 400 && f.status < 500, `a forged approval is refused (${f.status} ${f.j.error && f.j.error.code})`);
  }
  await new Promise((r) => setTimeout(r, 1500));
  check((await publicSize()) === cfg.genesis_size, "after a replayed and forged approvals the public site is unchanged");

  const a2 = await official(cfg.keys.a2);
  await a2.page.goto(`${consoleUrl}approve`);
  await a2.page.click("form[data-action=approve] button");
  check(/Accepted: entry/.test(await statusText(a2.page)), "the second approval is accepted");
  let moved = cfg.genesis_size;
  for (let i = 0; i < 40 && moved === cfg.genesis_size; i++) {
    await new Promise((r) => setTimeout(r, 250));
    moved = await publicSize();
  }
  check(moved > cfg.genesis_size, `after 2 of 2 approvals the public site moved (size ${moved})`);
  summary.published_size = moved;
  const results = await (await fetch(`${base}/api/v1/elections/${election}/results`)).json();
  check(results.contests.some((c) => c.status === "certified"), "the certified contest is certified in the feed");
  await a2.page.goto(consoleUrl);
  await audit(a2.page, "night-approver");

  for (const o of [county, other, authority, a1, a2]) {
    check(o.cspErrors.length === 0, `no CSP violation or script error: ${o.cspErrors.join("; ") || "none"}`);
  }
} catch (e) {
  failures.push(`the night stopped: ${e.stack || e}`);
} finally {
  await browser.close();
}
summary.failures = failures;
console.log(JSON.stringify(summary, null, 2));
process.exit(failures.length ? 1 : 0);

// Session behaviours only a real browser and a real server can show: reload,
// two tabs, a write from the page's own JavaScript, a deep link, hostile names.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import {
  startBoth, stopBoth, watchConsole, signIn, sessionToken, startSession, bannerText,
} from "../lib/harness.js";

let server;
let browser;

before(async () => ({ server, browser } = await startBoth()));
after(() => stopBoth({ server, browser }));

// One active session per impersonator: each test leaves its session by Exit.
async function exit(page) {
  await page.getByRole("region", { name: "Impersonation session" }).getByRole("button", { name: "Exit" }).click();
  await page.getByRole("heading", { level: 1, name: "Session summary" }).waitFor();
}

async function adminInSession(context, query = "alice@acme", email = "alice@acme.example") {
  const page = await context.newPage();
  await page.goto(server.url + "/");
  await signIn(page, "admin@duvo.example");
  await startSession(page, query, email);
  return page;
}

test("a reload keeps the session and its banner", async () => {
  const context = await browser.newContext();
  const page = await adminInSession(context);
  const errors = watchConsole(page);
  const before = await sessionToken(page);
  await page.reload();
  await page.getByRole("region", { name: "Impersonation session" }).waitFor();
  assert.match(await bannerText(page), /Viewing as Alice Novak/);
  assert.equal(await sessionToken(page), before);
  // Nothing is kept outside sessionStorage.
  assert.equal(await page.evaluate(() => localStorage.length), 0);
  assert.deepEqual(await context.cookies(), []);
  assert.deepEqual(errors, []);
  await exit(page);
  await context.close();
});

// Each filter change reloads the list while the old page stays on screen;
// the old page's "Load more" must not outlive what it reads.
test("the runs filters show the chosen runs at each change, and Load more keeps the filter", async () => {
  const context = await browser.newContext();
  const page = await adminInSession(context);
  const errors = watchConsole(page);
  await page.getByRole("link", { name: "Runs", exact: true }).click();
  await page.locator("main table tbody tr").first().waitFor();
  const onlyBadges = (label, n) =>
    page.waitForFunction(
      ([label, n]) => {
        const b = [...document.querySelectorAll("main table tbody tr .badge")].map((e) => e.textContent.trim());
        return b.length >= n && b.every((t) => t === label);
      },
      [label, n],
      { timeout: 5000 },
    );
  for (const [value, label] of [["failed", "Failed"], ["succeeded", "Succeeded"], ["cancelled", "Cancelled"]]) {
    await page.getByLabel("Status").selectOption(value);
    await page.waitForURL(new RegExp(`status=${value}`));
    await onlyBadges(label, 1);
  }
  await page.getByLabel("Status").selectOption("succeeded");
  await onlyBadges("Succeeded", 50);
  await page.getByRole("button", { name: "Load more" }).click();
  await page.getByRole("status").filter({ hasText: "50 more runs loaded." }).waitFor();
  await onlyBadges("Succeeded", 100);
  // The assignment filter: every row names the chosen assignment.
  const select = page.getByLabel("Assignment");
  const chosen = (await select.locator("option").nth(1).textContent()).trim();
  await select.selectOption({ index: 1 });
  await page.waitForFunction(
    (name) => {
      const cells = [...document.querySelectorAll("main table tbody tr td:nth-child(2)")].map((e) => e.textContent.trim());
      return cells.length > 0 && cells.every((t) => t === name);
    },
    chosen,
    { timeout: 5000 },
  );
  assert.deepEqual(errors, []);
  await exit(page);
  await context.close();
});

test("Exit in one tab takes the other tab out of the session within a second", async () => {
  const context = await browser.newContext();
  const first = await adminInSession(context);
  // A second tab of the same session: sessionStorage is copied on window.open.
  const [second] = await Promise.all([
    context.waitForEvent("page"),
    first.evaluate(() => window.open(location.href, "_blank")),
  ]);
  await second.getByRole("region", { name: "Impersonation session" }).waitFor();

  await first.getByRole("region", { name: "Impersonation session" }).getByRole("button", { name: "Exit" }).click();
  const started = Date.now();
  await second.getByRole("heading", { level: 1, name: "Session summary" }).waitFor({ timeout: 1000 });
  assert.ok(Date.now() - started <= 1000, "the other tab left within a second");
  assert.equal(await second.getByRole("region", { name: "Impersonation session" }).count(), 0);
  await context.close();
});

test("a write from the page's own JavaScript is refused 403 read_only and the banner stays", async () => {
  const context = await browser.newContext();
  const page = await adminInSession(context);
  const token = await sessionToken(page);
  const answer = await page.evaluate(async (t) => {
    const r = await fetch("/api/view/assignments", {
      method: "POST",
      headers: { Authorization: `Bearer ${t}`, "Content-Type": "application/json" },
      body: JSON.stringify({ name: "sneaky" }),
    });
    return { status: r.status, body: await r.json() };
  }, token);
  assert.equal(answer.status, 403);
  assert.equal(answer.body.error.code, "read_only");
  assert.match(await bannerText(page), /Viewing as Alice Novak/);
  await exit(page);
  await context.close();
});

test("a deep link to a run opens inside the session", async () => {
  const context = await browser.newContext();
  const page = await adminInSession(context);
  const token = await sessionToken(page);
  const runId = await page.evaluate(async (t) => {
    const r = await fetch("/api/view/runs?limit=1", { headers: { Authorization: `Bearer ${t}` } });
    return (await r.json()).items[0].id;
  }, token);
  await page.goto(`${server.url}/session/runs/${runId}`);
  await page.getByRole("region", { name: "Impersonation session" }).waitFor();
  await page.getByRole("heading", { level: 1 }).filter({ hasText: String(runId) }).first().waitFor();
  await exit(page);
  await context.close();
});

test("a name holding HTML and bidi controls is shown as plain text", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(server.url + "/");
  await signIn(page, "admin@duvo.example");
  await startSession(page, "mallory", "mallory@acme.example");
  const banner = page.getByRole("region", { name: "Impersonation session" });
  // The markup is text, not a <b> element, and the wording still starts "Viewing as".
  assert.equal(await banner.locator("b").count(), 0);
  assert.match(await banner.innerText(), /<b>lory<\/b>/);
  assert.match(await bannerText(page), /^Viewing as /);
  const bdi = banner.locator("bdi").first();
  assert.match(await bdi.innerText(), /\u202E/);
  await exit(page);
  await context.close();
});

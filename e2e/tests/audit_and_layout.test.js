// Findings of a UX review: data tables keep words whole at desktop, tablet
// and phone widths (a wide table scrolls inside its wrapper instead); the
// Audit page brings a session's events into view and focus; a partner's Audit
// page asks nothing admin-only; a deep link opened signed out returns to its
// page after sign-in, and never to another origin. Screenshots go to
// e2e/artifacts/screenshots/.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startBoth, stopBoth, signIn, startSession, watchConsole, settled, shotPath } from "../lib/harness.js";

let server;
let browser;

before(async () => ({ server, browser } = await startBoth()));
after(() => stopBoth({ server, browser }));

// Words of table cells split across lines, and body cells that left the
// table layout. A line may end after a hyphen; paths and strings longer
// than 24 characters may wrap anywhere.
function tableProblems(page) {
  return page.evaluate(() => {
    const problems = [];
    for (const cell of document.querySelectorAll("table.data td, table.data th")) {
      const display = getComputedStyle(cell).display;
      if (display !== "table-cell") problems.push(`a ${cell.tagName.toLowerCase()} is display:${display}`);
      const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        for (const m of node.data.matchAll(/[^\s-]+-?/g)) {
          if (m[0].length > 24 || m[0].includes("/")) continue;
          const range = document.createRange();
          range.setStart(node, m.index);
          range.setEnd(node, m.index + m[0].length);
          const lines = new Set([...range.getClientRects()].map((r) => Math.round(r.top)));
          if (lines.size > 1) problems.push(`"${m[0]}" split over ${lines.size} lines`);
        }
      }
    }
    const doc = document.documentElement;
    if (doc.scrollWidth > doc.clientWidth + 1) problems.push(`page scrolls sideways: ${doc.scrollWidth}px`);
    return [...new Set(problems)];
  });
}

const WIDTHS = { desktop: [1280, 800], tablet: [768, 1024], phone: [390, 844] };

test("tables keep words whole at 1280, 768 and 390 px; wide ones scroll in their wrapper", async () => {
  const found = {};
  for (const [name, [width, height]] of Object.entries(WIDTHS)) {
    const context = await browser.newContext({ viewport: { width, height }, hasTouch: name !== "desktop" });
    const page = await context.newPage();
    const check = async (stop) => {
      await settled(page);
      await page.screenshot({ path: shotPath(`tables-${name}-${stop}.png`), fullPage: true });
      const problems = await tableProblems(page);
      if (problems.length) found[`${name} ${stop}`] = problems;
    };
    await page.goto(server.url + "/");
    await signIn(page, "admin@duvo.example");
    const banner = await startSession(page, "alice@acme", "alice@acme.example", "Checking the tables at every width");
    await page.locator("main table tbody tr").first().waitFor();
    await check("assignments");
    await page.goto(server.url + "/session/runs");
    await page.locator("main table tbody tr").first().waitFor();
    await check("runs");
    await banner.getByRole("button", { name: "Exit" }).click();
    await page.getByRole("heading", { level: 1, name: "Session summary" }).waitFor();
    await page.goto(server.url + "/audit");
    await page.locator("main table tbody tr").first().waitFor();
    await page.getByRole("button", { name: /events$/ }).first().click();
    await page.locator("#audit-events table tbody tr").first().waitFor();
    await check("audit");
    await context.close();
  }
  assert.deepEqual(found, {}, JSON.stringify(found, null, 2));
});

test("Audit: a session's events come into view with focus on their heading", async () => {
  const context = await browser.newContext({ viewport: { width: 768, height: 1024 }, hasTouch: true });
  const page = await context.newPage();
  const errors = watchConsole(page);
  await page.goto(server.url + "/");
  await signIn(page, "admin@duvo.example");
  // Enough sessions that the list is longer than the screen.
  for (let i = 0; i < 6; i++) {
    const banner = await startSession(page, "carol@initech", "carol@initech.example", `Audit focus check number ${i}`);
    await banner.getByRole("button", { name: "Exit" }).click();
    await page.getByRole("heading", { level: 1, name: "Session summary" }).waitFor();
    await page.getByRole("link", { name: "Back to Find a user" }).click();
    await page.getByRole("combobox", { name: "Find a user" }).waitFor();
  }
  await page.goto(server.url + "/audit");
  await page.locator("main table tbody tr").first().waitFor();
  const open = page.getByRole("button", { name: /events$/ }).first();
  await open.tap();
  const heading = page.locator("#audit-events-title");
  await page.waitForFunction(() => document.activeElement?.id === "audit-events-title", null, { timeout: 5000 });
  const box = await heading.boundingBox();
  assert.ok(box && box.y >= 0 && box.y + box.height <= 1024, `the heading is on screen: ${JSON.stringify(box)}`);
  assert.match(await heading.textContent(), /^Events of session #\d+, in order$/);
  await page.screenshot({ path: shotPath("audit-events-opened-768.png") });
  assert.deepEqual(errors, []);
  await context.close();
});

test("a partner's Audit page asks nothing that is only for administrators", async () => {
  const page = await browser.newPage();
  const errors = watchConsole(page);
  const refused = [];
  page.on("response", (r) => {
    if (r.status() >= 400) refused.push(`${r.status()} ${r.url()}`);
  });
  await page.goto(server.url + "/");
  await signIn(page, "partner@northwind.example");
  await page.getByRole("combobox", { name: "Find a user" }).waitFor();
  await page.goto(server.url + "/audit");
  await page.getByRole("heading", { level: 1, name: "Audit" }).waitFor();
  await page.getByText("Verifying the whole audit trail is for administrators.").waitFor();
  await settled(page);
  assert.deepEqual(refused, []);
  assert.deepEqual(errors, []);
  await page.close();
});

test("signed out, a deep link returns to its page after sign-in, and only to a page of the console", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(server.url + "/audit");
  await page.getByLabel("Email").waitFor();
  assert.equal(new URL(page.url()).pathname, "/login");
  await signIn(page, "admin@duvo.example");
  await page.getByRole("heading", { level: 1, name: "Audit" }).waitFor();
  assert.equal(new URL(page.url()).pathname, "/audit");
  await context.close();

  // Each refused value names a real page (or another origin) to land on
  // if it were followed, so following it would show.
  for (const next of ["//evil.example/x", "https://evil.example/", "/\\evil.example", "/%09/evil.example", "/audit?x=1", "/audit#x"]) {
    const ctx = await browser.newContext();
    const p = await ctx.newPage();
    await p.goto(`${server.url}/login?next=${encodeURIComponent(next)}`);
    await signIn(p, "admin@duvo.example");
    await p.getByRole("combobox", { name: "Find a user" }).waitFor();
    await p.waitForTimeout(200);
    const at = new URL(p.url());
    assert.equal(at.origin, server.url, `next=${next}`);
    assert.equal(at.pathname, "/", `next=${next}`);
    await ctx.close();
  }
});

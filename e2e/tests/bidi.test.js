// A reason, ticket and note holding a right-to-left override (U+202E) cannot
// reorder the console's own words: on the notes drawer, the summary and the
// audit page every text holding it sits inside a <bdi> (or, in the plain-text
// support record, between FSI and PDI).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startBoth, stopBoth, signIn, settled, watchConsole } from "../lib/harness.js";

const RLO = "\u202E";
const REASON = `Customer asked ${RLO}about the export\u202C for March`;
const TICKET = `SUP-${RLO}4711`;
const NOTE = `Checked the job ${RLO}gnp.exe`;

let server;
let browser;

before(async () => ({ server, browser } = await startBoth()));
after(() => stopBoth({ server, browser }));

// The text nodes under `root` that hold U+202E, each with whether a <bdi>
// encloses it.
function overrides(page, root) {
  return page.evaluate(
    ({ root, rlo }) => {
      const el = document.querySelector(root);
      if (!el) return [];
      const walk = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
      const out = [];
      for (let n = walk.nextNode(); n; n = walk.nextNode()) {
        if (!n.data.includes(rlo)) continue;
        // Inside a <bdi>, or (in plain text such as the support record)
        // every override between FIRST STRONG ISOLATE and its POP.
        const inBdi = !!n.parentElement?.closest("bdi");
        const outsideIsolates = n.data.replace(/\u2068[^\u2068\u2069]*\u2069/g, "");
        out.push({ text: n.data, isolated: inBdi || !outsideIsolates.includes(rlo) });
      }
      return out;
    },
    { root, rlo: RLO },
  );
}

function assertIsolated(found, wants, where) {
  for (const want of wants) {
    assert.ok(
      found.some((f) => f.text.includes(want)),
      `${where}: ${JSON.stringify(want)} is shown (found ${JSON.stringify(found)})`,
    );
  }
  const bare = found.filter((f) => !f.isolated);
  assert.deepEqual(bare, [], `${where}: every text with U+202E is inside a <bdi>`);
}

test("reason, ticket and note with a right-to-left override are isolated", async () => {
  const page = await browser.newPage();
  const errors = watchConsole(page);
  await page.goto(server.url + "/");
  await signIn(page, "admin@duvo.example");

  await page.getByRole("combobox", { name: "Find a user" }).fill("alice");
  await page.getByRole("option").filter({ hasText: "alice@acme.example" }).first().click();
  await page.getByLabel("Reason category").selectOption("support_request");
  await page.getByLabel("Reason", { exact: true }).fill(REASON);
  await page.getByLabel("Ticket (optional)").fill(TICKET);
  await page.getByRole("button", { name: "Start viewing" }).click();
  const banner = page.getByRole("region", { name: "Impersonation session" });
  await banner.waitFor();

  await page.locator("#notes-button").click();
  await page.locator("#note-text").fill(NOTE);
  await page.locator(".notes-form button[type=submit]").click();
  await page.locator("#notes-drawer .notes-list li").filter({ hasText: "Checked the job" }).waitFor();
  assertIsolated(await overrides(page, "#notes-drawer"), [NOTE], "notes drawer");

  await banner.getByRole("button", { name: "Exit" }).click();
  await page.getByRole("heading", { level: 1, name: "Session summary" }).waitFor();
  await settled(page);
  assertIsolated(await overrides(page, "main"), [REASON, TICKET, NOTE], "summary");

  await page.goto(server.url + "/audit");
  await settled(page);
  const row = page.locator("tr").filter({ hasText: "about the export" }).first();
  await row.waitFor();
  await row.getByRole("button").click();
  await page.locator("table").filter({ hasText: "session started" }).first().waitFor();
  // The sessions table's reason cell, the start event's detail (reason and
  // ticket) and the note event's detail.
  const found = await overrides(page, "main");
  assertIsolated(found, [REASON, TICKET, NOTE], "audit");
  assert.ok(found.filter((f) => f.text.includes(REASON)).length >= 2, "reason in the row and in the event detail");

  assert.deepEqual(errors, []);
});

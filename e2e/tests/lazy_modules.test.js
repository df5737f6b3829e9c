// Pages and the session's banner layout are wasm modules of their own,
// fetched when first shown (src/lazy.rs, scripts/split_spa.sh). When one
// cannot be fetched the user gets words and a Retry that works, never a
// blank page; inside a session Exit stays at hand even if the banner itself
// is what failed to load, and nothing of the session's pages is requested
// meanwhile.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { startBoth, stopBoth, signIn, DIST } from "../lib/harness.js";

let server;
let browser;

before(async () => ({ server, browser } = await startBoth()));
after(() => stopBoth({ server, browser }));

const split = readdirSync(DIST).some((f) => /^split_session_frame-.*\.wasm$/.test(f));

/** Makes requests for module `name` fail until the returned function is called. */
async function block(page, name) {
  let blocked = true;
  await page.route(new RegExp(`/split_${name}-[0-9a-f]+\\.wasm$`), (route) =>
    blocked ? route.abort("connectionfailed") : route.continue(),
  );
  return () => (blocked = false);
}

/** Signs in and starts a session with Carol, without waiting for the banner. */
async function start(page) {
  await page.goto(server.url + "/");
  await signIn(page, "admin@duvo.example");
  const search = page.getByRole("combobox", { name: "Find a user" });
  await search.fill("carol@initech");
  await page.getByRole("option").filter({ hasText: "carol@initech.example" }).first().click();
  await page.getByLabel("Reason category").selectOption("support_request");
  await page.getByLabel("Reason", { exact: true }).fill("Checking that a failed module load is handled");
  await page.getByRole("button", { name: "Start viewing" }).click();
}

/** Leaves the session through the banner (one session per administrator). */
async function exit(page) {
  await banner(page).getByRole("button", { name: "Exit" }).click();
  await page.getByRole("heading", { level: 1, name: "Session summary" }).waitFor();
}

const failed = (page) => page.getByRole("alert").filter({ hasText: "This page could not be loaded" });
const banner = (page) => page.getByRole("region", { name: "Impersonation session" });

test("the banner layout fails to load: no page request, Retry brings the banner", { skip: !split && "not a split build" }, async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const views = [];
  page.on("request", (r) => r.url().includes("/api/view/") && views.push(r.url()));
  const unblock = await block(page, "session_frame");
  await start(page);
  await failed(page).waitFor();
  assert.equal(await banner(page).count(), 0);
  assert.equal(await page.getByRole("button", { name: "Exit" }).count(), 1, "Exit is offered without the banner");
  assert.deepEqual(views, [], "no view request before the banner is there");
  unblock();
  await page.getByRole("button", { name: "Retry" }).click();
  await banner(page).waitFor();
  await page.locator("main table tbody tr").first().waitFor();
  assert.equal(await failed(page).count(), 0);
  await exit(page);
  await context.close();
});

test("Exit works when the banner layout cannot be loaded", { skip: !split && "not a split build" }, async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await block(page, "session_frame");
  await start(page);
  await failed(page).waitFor();
  await page.getByRole("button", { name: "Exit" }).click();
  await page.getByRole("heading", { level: 1, name: "Session summary" }).waitFor();
  const stored = await page.evaluate(() => sessionStorage.getItem("viewas.session"));
  assert.equal(stored, null, "the session is left in this tab");
  await context.close();
});

test("a page fails to load: the banner stays, Retry shows the page", { skip: !split && "not a split build" }, async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const unblock = await block(page, "runs");
  await start(page);
  await banner(page).waitFor();
  await page.getByRole("link", { name: "Runs" }).click();
  await failed(page).waitFor();
  assert.equal(await banner(page).count(), 1, "the banner and its Exit stay");
  unblock();
  await page.getByRole("button", { name: "Retry" }).click();
  await page.getByRole("heading", { level: 1, name: /Runs/ }).waitFor();
  assert.equal(await failed(page).count(), 0);
  await exit(page);
  await context.close();
});

// Expiry with the server configured for a short maximum: the console leaves
// the session by itself, says when it expired, and the server refuses the token.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startBoth, stopBoth, signIn, startSession, sessionToken } from "../lib/harness.js";

let server;
let browser;

before(async () => ({ server, browser } = await startBoth(["--max-session", "8s"])));
after(() => stopBoth({ server, browser }));

test("a session past its maximum ends in the console and on the server", async () => {
  const page = await browser.newPage();
  await page.goto(server.url + "/");
  await signIn(page, "admin@duvo.example");
  const banner = await startSession(page, "bob@globex", "bob@globex.example");
  const token = await sessionToken(page);
  assert.match(await banner.locator(".time-left").innerText(), /^0:0\d$|^00:0\d$/);

  await page.getByRole("heading", { level: 1, name: "Session summary" }).waitFor({ timeout: 15_000 });
  assert.match(await page.locator("main").innerText(), /expired at \d{1,2}:\d{2}/i);
  assert.equal(await page.getByRole("region", { name: "Impersonation session" }).count(), 0);

  const status = await page.evaluate(async (t) => {
    const r = await fetch("/api/view/assignments", { headers: { Authorization: `Bearer ${t}` } });
    return [r.status, (await r.json()).error.code];
  }, token);
  assert.deepEqual(status, [401, "session_ended"]);
});

// A session revoked on the server while its tab sits idle: the console asks
// the server every 10 s whether the session still stands, so the banner goes
// away without the viewer clicking anything.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startBoth, stopBoth, watchConsole, signIn, startSession, PASSWORD } from "../lib/harness.js";

let server;
let browser;

before(async () => ({ server, browser } = await startBoth()));
after(() => stopBoth({ server, browser }));

async function api(method, path, token, body) {
  const res = await fetch(server.url + path, {
    method,
    headers: {
      ...(token ? { Authorization: `Bearer ${token}` } : {}),
      ...(body ? { "Content-Type": "application/json" } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: await res.json().catch(() => null) };
}

test("an idle tab leaves a session the server has revoked", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors = watchConsole(page);
  await page.goto(server.url + "/");
  await signIn(page, "admin@duvo.example");
  await startSession(page, "alice@acme", "alice@acme.example");
  await page.getByRole("heading", { level: 1, name: "Assignments" }).waitFor();

  // Another administrator disables Alice: the server ends every session she is in.
  const login = await api("POST", "/api/auth/login", null, { email: "support01@duvo.example", password: PASSWORD });
  assert.equal(login.status, 200);
  const found = await api("GET", "/api/users?q=alice%40acme&limit=5", login.body.token);
  const alice = found.body.items.find((u) => u.email === "alice@acme.example");
  assert.ok(alice, "Alice is found");
  const requestsBefore = [];
  page.on("request", (r) => requestsBefore.push(r.url()));
  const revoked = await api("POST", `/api/admin/users/${alice.id}/disable`, login.body.token);
  assert.equal(revoked.status, 200, JSON.stringify(revoked.body));

  // No click, no navigation: within one check interval the tab has left.
  const t0 = Date.now();
  await page.getByRole("heading", { level: 1, name: "Session summary" }).waitFor({ timeout: 15_000 });
  const waited = Date.now() - t0;
  assert.ok(waited <= 12_000, `left after ${waited} ms`);
  assert.equal(await page.getByRole("region", { name: "Impersonation session" }).count(), 0);
  await page.getByText(/access was revoked/).first().waitFor();
  assert.equal(await page.evaluate(() => sessionStorage.getItem("viewas.session")), null);
  // The check is a read of the session, never a view request.
  assert.deepEqual(requestsBefore.filter((u) => u.includes("/api/view/")), []);
  assert.deepEqual(errors, []);
  await context.close();
});

// Zero-configuration embedding: a partner page on a listed partner origin
// holds nothing but a plain <iframe src="CONSOLE/"> (no ?partner_origin=).
// The console learns its parent's origin from location.ancestorOrigins and
// posts viewas.session.started and viewas.session.ended to that origin. A
// page on an origin the server does not list cannot frame the console at all
// (CSP frame-ancestors), so it hears nothing. The partner pages come from a
// small HTTP server of the test itself.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { startServer, launchBrowser, stopBoth, PASSWORD } from "../lib/harness.js";

let server;
let browser;
let partner;
// The same small partner site under two origins: 127.0.0.1:PORT is listed
// as a partner origin, localhost:PORT is not.
let LISTED;
let UNLISTED;

/** A page with a plain iframe of the console that records what it is posted. */
function partnerPage(consoleUrl) {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Partner</title></head>
<body>
  <iframe id="console" title="viewas console" src="${consoleUrl}/" width="1100" height="800"></iframe>
  <script>
    window.heard = [];
    window.addEventListener("message", (e) => window.heard.push({ origin: e.origin, data: e.data }));
  </script>
</body></html>`;
}

before(async () => {
  partner = createServer((req, res) => {
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    res.end(partnerPage(server?.url ?? ""));
  });
  await new Promise((ok) => partner.listen(0, "127.0.0.1", ok));
  const port = partner.address().port;
  LISTED = `http://127.0.0.1:${port}`;
  UNLISTED = `http://localhost:${port}`;
  server = await startServer(["--partner-origin", LISTED]);
  browser = await launchBrowser();
});
after(async () => {
  await stopBoth({ server, browser });
  await new Promise((ok) => partner?.close(ok) ?? ok());
});

async function partnerContext() {
  return browser.newContext({ viewport: { width: 1280, height: 900 } });
}

test("a plain iframe on a listed partner origin receives started and ended", async () => {
  const context = await partnerContext();
  const page = await context.newPage();
  await page.goto(`${LISTED}/portal`);
  const frame = page.frameLocator("iframe#console");

  await frame.getByLabel("Email").fill("partner@northwind.example");
  await frame.getByLabel("Password").fill(PASSWORD);
  await frame.getByRole("button", { name: "Sign in" }).click();
  await frame.getByRole("combobox", { name: "Find a user" }).fill("bob@globex");
  await frame.getByRole("option").filter({ hasText: "bob@globex.example" }).first().click();
  await frame.getByLabel("Reason category").selectOption("support_request");
  await frame.getByLabel("Reason", { exact: true }).fill("Globex asked us to check their schedule");
  await frame.getByRole("button", { name: "Start viewing" }).click();

  const banner = frame.getByRole("region", { name: "Impersonation session" });
  await banner.waitFor();
  await page.waitForFunction(() => window.heard.some((m) => m.data?.type === "viewas.session.started"));
  await banner.getByRole("button", { name: "Exit" }).click();
  await frame.getByRole("heading", { level: 1, name: "Session summary" }).waitFor();
  await page.waitForFunction(() => window.heard.some((m) => m.data?.type === "viewas.session.ended"));

  const heard = await page.evaluate(() => window.heard);
  const consoleOrigin = new URL(server.url).origin;
  const session = heard.filter((m) => String(m.data?.type).startsWith("viewas."));
  assert.deepEqual(
    session.map((m) => m.data.type),
    ["viewas.session.started", "viewas.session.ended"],
  );
  for (const m of session) assert.equal(m.origin, consoleOrigin, "posted by the console");
  const [started, ended] = session.map((m) => m.data);
  assert.equal(typeof started.session_id, "number");
  assert.equal(started.reason, "support_request");
  assert.equal(ended.session_id, started.session_id);
  assert.equal(ended.reason, "exit");
  await context.close();
});

test("a page on an unlisted origin cannot frame the console and hears nothing", async () => {
  const context = await partnerContext();
  const page = await context.newPage();
  await page.goto(`${UNLISTED}/portal`, { waitUntil: "load" });
  // The browser refuses the frame (frame-ancestors): Chromium puts its own
  // error page there instead of the console.
  const frame = page.frames().find((f) => f.parentFrame() === page.mainFrame());
  assert.ok(frame, "the iframe is there");
  await frame.waitForLoadState("load");
  assert.match(frame.url(), /^chrome-error:/, `the console was framed: ${frame.url()}`);
  assert.deepEqual(await page.evaluate(() => window.heard), []);
  await context.close();
});

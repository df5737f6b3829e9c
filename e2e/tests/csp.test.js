// The server's Content-Security-Policy in the browser: an injected inline
// script does not run and the browser reports the violation; no inline style
// is allowed and none of the console's pages needs one; an unlisted origin
// cannot frame the console.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import {
  startBoth,
  stopBoth,
  startServer,
  watchConsole,
  signIn,
  startSession,
  sessionToken,
  settled,
} from "../lib/harness.js";

let server;
let browser;

before(async () => ({ server, browser } = await startBoth()));
after(() => stopBoth({ server, browser }));

test("an injected inline script is blocked and reported", async () => {
  const page = await browser.newPage();
  const errors = watchConsole(page);
  await page.goto(server.url + "/");
  await page.getByLabel("Email").waitFor();
  const outcome = await page.evaluate(
    () =>
      new Promise((resolve) => {
        document.addEventListener("securitypolicyviolation", (e) =>
          resolve({ ran: window.__injected === true, directive: e.effectiveDirective }),
        );
        const s = document.createElement("script");
        s.textContent = "window.__injected = true";
        document.body.append(s);
        setTimeout(() => resolve({ ran: window.__injected === true, directive: null }), 2000);
      }),
  );
  assert.equal(outcome.ran, false, "the inline script did not run");
  assert.equal(outcome.directive, "script-src-elem");
  assert.ok(errors.some((e) => /Content Security Policy/i.test(e)), "the browser reported it");
});

test("style-src allows no inline style and no page of the console violates the policy", async () => {
  const res = await fetch(server.url + "/");
  const csp = res.headers.get("content-security-policy") ?? "";
  const styleSrc = csp.split(";").map((d) => d.trim()).find((d) => d.startsWith("style-src"));
  assert.equal(styleSrc, "style-src 'self'", csp);
  assert.doesNotMatch(csp, /'unsafe-inline'/);

  const page = await browser.newPage();
  const errors = watchConsole(page);
  const violations = [];
  await page.exposeFunction("__cspViolation", (v) => violations.push(v));
  await page.addInitScript(() =>
    document.addEventListener("securitypolicyviolation", (e) =>
      window.__cspViolation(`${e.effectiveDirective} ${e.blockedURI} ${e.sample}`),
    ),
  );
  const visit = async (path) => {
    await page.goto(server.url + path);
    await settled(page);
  };

  await page.goto(server.url + "/");
  await signIn(page, "admin@duvo.example");
  await page.getByRole("combobox", { name: "Find a user" }).waitFor();
  await startSession(page, "alice", "alice@acme.example");
  await settled(page);
  const token = await sessionToken(page);
  const ids = await page.evaluate(async (t) => {
    const get = (p) => fetch(p, { headers: { Authorization: `Bearer ${t}` } }).then((r) => r.json());
    const [assignment] = await get("/api/view/assignments");
    const runs = await get("/api/view/runs?limit=1");
    return { assignment: assignment.id, run: runs.items[0].id };
  }, token);
  for (const path of [
    `/session/assignments/${ids.assignment}`,
    "/session/runs",
    `/session/runs/${ids.run}`,
    "/session/workspace",
  ]) {
    await visit(path);
  }
  await page.getByRole("region", { name: "Impersonation session" }).getByRole("button", { name: "Exit" }).click();
  await page.getByRole("heading", { level: 1, name: "Session summary" }).waitFor();
  await settled(page);
  await visit("/audit");
  await page.locator("tbody tr").filter({ hasText: "Customer asked us to check their setup" }).first().getByRole("button").click();
  await page.locator("table").filter({ hasText: "session started" }).first().waitFor();

  assert.deepEqual(violations, []);
  assert.deepEqual(errors.filter((e) => /Content Security Policy/i.test(e)), []);
});

// A host page on its own origin (a port of its own) that frames `target`.
async function framingHost() {
  let target = "about:blank";
  const host = createServer((req, res) => {
    res.writeHead(200, { "Content-Type": "text/html" });
    res.end(`<!doctype html><title>host</title><iframe src="${target}" width="800" height="600"></iframe>`);
  });
  await new Promise((r) => host.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${host.address().port}`,
    frame: (url) => (target = url),
    close: () => host.close(),
  };
}

async function framedText(page, hostUrl) {
  await page.goto(hostUrl + "/");
  const frame = page.frames().find((f) => f !== page.mainFrame());
  if (!frame) return "";
  // Give the console time to boot; a refused frame never does.
  await frame.locator("input").first().waitFor({ timeout: 5000 }).catch(() => {});
  return frame.evaluate(() => document.body?.innerText ?? "").catch(() => "");
}

test("a listed partner origin can frame the console, an unlisted one cannot", async () => {
  const listed = await framingHost();
  const unlisted = await framingHost();
  const framed = await startServer(["--partner-origin", listed.url]);
  try {
    listed.frame(framed.url + "/");
    unlisted.frame(framed.url + "/");
    const page = await browser.newPage();
    assert.match(await framedText(page, listed.url), /Sign in/, "the listed origin shows the console");
    const refused = await framedText(page, unlisted.url);
    assert.doesNotMatch(refused, /Sign in|Email/, "the unlisted origin's frame stays blank");
  } finally {
    listed.close();
    unlisted.close();
    await framed.stop();
  }
});

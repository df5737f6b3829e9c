// Assignment titles, descriptions, configuration and run output that hold
// HTML, script and bidi payloads (Mallory's demo data) render as text: no
// element is created from them, no script runs, no alert opens.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startBoth, stopBoth, signIn, startSession, sessionToken, watchConsole } from "../lib/harness.js";

let server;
let browser;

before(async () => ({ server, browser } = await startBoth()));
after(() => stopBoth({ server, browser }));

test("hostile titles and run output are shown as text", async () => {
  const page = await browser.newPage();
  const dialogs = [];
  page.on("dialog", (d) => {
    dialogs.push(d.message());
    d.dismiss();
  });
  const errors = watchConsole(page);
  await page.goto(server.url + "/");
  await signIn(page, "admin@duvo.example");
  await startSession(page, "mallory", "mallory@acme.example");
  const token = await sessionToken(page);
  const [assignment] = await page.evaluate(async (t) => {
    const r = await fetch("/api/view/assignments", { headers: { Authorization: `Bearer ${t}` } });
    return r.json();
  }, token);
  assert.match(assignment.name, /<img src=x onerror=alert\(1\)>/);

  const main = page.locator("main");
  await main.getByText("<img src=x onerror=alert(1)>", { exact: false }).first().waitFor();

  await page.goto(`${server.url}/session/assignments/${assignment.id}`);
  await page.getByRole("heading", { level: 1 }).filter({ hasText: "<img src=x" }).waitFor();
  await main.getByText("<script>document.title='owned'</script>", { exact: false }).first().waitFor();

  const runs = await page.evaluate(async (t) => {
    const r = await fetch("/api/view/runs?limit=1", { headers: { Authorization: `Bearer ${t}` } });
    return r.json();
  }, token);
  await page.goto(`${server.url}/session/runs/${runs.items[0].id}`);
  await main.getByText("<script>alert('run')</script>", { exact: false }).first().waitFor();

  // Nothing was turned into markup or run.
  const injected = await page.evaluate(() => ({
    img: document.querySelectorAll("main img").length,
    svg: [...document.querySelectorAll("main svg")].filter((s) => s.getAttribute("onload")).length,
    script: [...document.querySelectorAll("body script")].filter((s) => /alert|owned/.test(s.textContent)).length,
    u: document.querySelectorAll("main u").length,
    title: document.title,
  }));
  assert.deepEqual(injected, { img: 0, svg: 0, script: 0, u: 0, title: injected.title });
  assert.notEqual(injected.title, "owned");
  assert.deepEqual(dialogs, []);
  assert.deepEqual(errors, []);

  await page.getByRole("region", { name: "Impersonation session" }).getByRole("button", { name: "Exit" }).click();
  await page.getByRole("heading", { level: 1, name: "Session summary" }).waitFor();
});

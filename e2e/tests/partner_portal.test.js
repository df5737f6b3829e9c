// A partner inside the demo portal (another origin): signs in inside the
// frame, views a client organisation's user, exits; the portal receives the
// started and ended messages, addressed to its origin. Third-party cookies
// are blocked throughout: the console needs none.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startBoth, stopBoth, PASSWORD } from "../lib/harness.js";

let server;
let browser;

before(async () => ({ server, browser } = await startBoth(["--portal-addr", "127.0.0.1:0"])));
after(() => stopBoth({ server, browser }));

for (const [label, viewport] of [["wide", { width: 1280, height: 900 }], ["narrow", { width: 700, height: 900 }]]) {
  test(`partner flow in the portal iframe (${label} frame)`, async () => {
    const context = await browser.newContext({ viewport });
    // Block third-party cookies for every site in this context.
    const cdp = await context.newCDPSession(await context.newPage());
    await cdp.send("Network.setCookieControls", {
      enableThirdPartyCookieRestriction: true,
      disableThirdPartyCookieMetadata: false,
      disableThirdPartyCookieHeuristics: true,
    }).catch(() => {});
    const page = context.pages()[0];
    assert.notEqual(new URL(server.portalUrl).origin, new URL(server.url).origin);
    await page.goto(server.portalUrl + "/");
    const frame = page.frameLocator("iframe#viewas");

    await frame.getByLabel("Email").fill("partner@northwind.example");
    await frame.getByLabel("Password").fill(PASSWORD);
    await frame.getByRole("button", { name: "Sign in" }).click();

    // Users outside the partner's client organisations are not offered at all.
    await frame.getByRole("combobox", { name: "Find a user" }).fill("alice@acme.example");
    await frame.getByText("No users match.").waitFor();
    assert.equal(await frame.getByRole("option").count(), 0);
    await frame.getByRole("combobox", { name: "Find a user" }).fill("bob@globex");
    await frame.getByRole("option").filter({ hasText: "bob@globex.example" }).first().click();
    await frame.getByLabel("Reason category").selectOption("support_request");
    await frame.getByLabel("Reason", { exact: true }).fill("Globex asked us to check their schedule");
    await frame.getByRole("button", { name: "Start viewing" }).click();

    const banner = frame.getByRole("region", { name: "Impersonation session" });
    await banner.waitFor();
    assert.match((await banner.innerText()).replace(/\s+/g, " "), /Viewing as Bob Martins/);
    // Banner and Exit inside the frame's box.
    const frameBox = await page.locator("iframe#viewas").boundingBox();
    const exitBox = await banner.getByRole("button", { name: "Exit" }).boundingBox();
    assert.ok(exitBox.x >= frameBox.x && exitBox.x + exitBox.width <= frameBox.x + frameBox.width, "Exit inside the frame");

    await page.waitForFunction(() => window.viewasMessages?.some((m) => m.type === "viewas.session.started"));
    await banner.getByRole("button", { name: "Exit" }).click();
    await frame.getByRole("heading", { level: 1, name: "Session summary" }).waitFor();
    await page.waitForFunction(() => window.viewasMessages?.some((m) => m.type === "viewas.session.ended"));

    const messages = await page.evaluate(() => window.viewasMessages);
    const started = messages.find((m) => m.type === "viewas.session.started");
    const ended = messages.find((m) => m.type === "viewas.session.ended");
    assert.equal(typeof started.session_id, "number");
    assert.equal(ended.session_id, started.session_id);
    assert.equal(ended.reason, "exit");
    assert.match(await page.locator("#session-state").innerText(), /ended \(exit\)/);
    assert.deepEqual(await context.cookies(), [], "no cookies were needed");
    await context.close();
  });
}

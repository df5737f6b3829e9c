// The expiry warning is announced, and reduced motion is honoured.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startBoth, stopBoth, signIn, startSession } from "../lib/harness.js";

let server;
let browser;

// Five minutes or less from the start: the warning is due at once.
before(async () => ({ server, browser } = await startBoth(["--max-session", "4m"])));
after(() => stopBoth({ server, browser }));

test("five minutes before the end the banner warns, through a live region", async () => {
  const page = await browser.newPage();
  await page.goto(server.url + "/");
  await signIn(page, "admin@duvo.example");
  const banner = await startSession(page, "carol@initech", "carol@initech.example");
  const live = banner.locator('[aria-live="assertive"], [role="alert"]');
  await page.waitForFunction(
    () => /less than five minutes/i.test(document.querySelector('[aria-live="assertive"]')?.textContent ?? ""),
  );
  assert.match(await live.first().textContent(), /less than five minutes/i);
  assert.ok(await banner.evaluate((el) => el.className.includes("warning")), "the banner shows its warning state");
  await banner.getByRole("button", { name: "Exit" }).click();
  await page.getByRole("heading", { level: 1, name: "Session summary" }).waitFor();
});

test("with prefers-reduced-motion nothing animates", async () => {
  const context = await browser.newContext({ reducedMotion: "reduce" });
  const page = await context.newPage();
  await page.goto(server.url + "/");
  await signIn(page, "admin@duvo.example");
  await page.getByRole("combobox", { name: "Find a user" }).waitFor();
  // A loading skeleton, as every view shows while it loads (it shimmers otherwise).
  await page.evaluate(() => {
    const s = document.createElement("div");
    s.className = "skeleton";
    s.innerHTML = '<div class="skeleton-line"></div>';
    document.querySelector("main").append(s);
  });
  const moving = await page.evaluate(() =>
    [...document.querySelectorAll("*")].filter((el) => {
      const s = getComputedStyle(el);
      const secs = (v) => Math.max(...v.split(",").map((x) => parseFloat(x) || 0));
      return secs(s.animationDuration) > 0.01 && s.animationName !== "none" || secs(s.transitionDuration) > 0.01;
    }).map((el) => el.tagName + "." + el.className),
  );
  assert.deepEqual(moving, []);
  await context.close();
});

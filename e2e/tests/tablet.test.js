// Support staff on tablets: portrait 768x1024 and landscape 1024x768 with
// touch. On every page: no horizontal scrolling, every visible control at
// least 44x44 CSS px, the banner on screen while the content scrolls.
// Screenshots of each page go to e2e/artifacts/screenshots/.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startBoth, stopBoth, signIn, startSession, shotPath } from "../lib/harness.js";
import { tour } from "../lib/tour.js";

const ORIENTATIONS = {
  portrait: { width: 768, height: 1024 },
  landscape: { width: 1024, height: 768 },
};

let server;
let browser;

before(async () => ({ server, browser } = await startBoth()));
after(() => stopBoth({ server, browser }));

// Problems of layout on the current page, as sentences.
function layoutProblems(page) {
  return page.evaluate(() => {
    const problems = [];
    const doc = document.documentElement;
    if (doc.scrollWidth > doc.clientWidth + 1) {
      problems.push(`horizontal scroll: content ${doc.scrollWidth}px wide in ${doc.clientWidth}px`);
    }
    const controls = document.querySelectorAll(
      'a[href], button, input:not([type="hidden"]), select, textarea, [role="option"], [tabindex]:not([tabindex="-1"])',
    );
    for (const el of controls) {
      const r = el.getBoundingClientRect();
      const style = getComputedStyle(el);
      if (r.width === 0 || r.height === 0 || style.visibility === "hidden") continue;
      // WCAG 2.5.8's exception: a link inside a sentence (not one that
      // stands alone as its paragraph, such as "Back to Find a user").
      const sentence = el.closest("p");
      if (el.tagName === "A" && sentence && sentence.textContent.trim() !== el.textContent.trim()) continue;
      if (r.width < 44 - 0.5 || r.height < 44 - 0.5) {
        const name = (el.getAttribute("aria-label") || el.textContent || el.name || el.id || "").trim().slice(0, 40);
        problems.push(`${el.tagName.toLowerCase()} "${name}" is ${Math.round(r.width)}x${Math.round(r.height)}`);
      }
    }
    const banner = document.querySelector('[aria-label="Impersonation session"]');
    if (banner) {
      window.scrollTo(0, document.body.scrollHeight);
      const b = banner.getBoundingClientRect();
      if (b.top < -1 || b.bottom > innerHeight) problems.push(`banner off screen after scrolling (top ${b.top})`);
      window.scrollTo(0, 0);
    }
    return problems;
  });
}

for (const [orientation, viewport] of Object.entries(ORIENTATIONS)) {
  test(`${orientation} ${viewport.width}x${viewport.height}: every page fits, touch targets are 44px, the banner stays`, async () => {
    const context = await browser.newContext({ viewport, hasTouch: true });
    const page = await context.newPage();
    const found = {};
    await tour(page, server.url, async (name, p) => {
      await p.screenshot({ path: shotPath(`${orientation}-${name}.png`), fullPage: false });
      const problems = await layoutProblems(p);
      if (problems.length) found[name] = problems;
    });
    await context.close();
    assert.deepEqual(found, {}, JSON.stringify(found, null, 2));
  });
}

test("with the on-screen keyboard over half the screen, the start form and Notes stay usable by touch", async () => {
  const context = await browser.newContext({ viewport: { width: 768, height: 512 }, hasTouch: true });
  const page = await context.newPage();
  await page.goto(server.url + "/");
  await signIn(page, "admin@duvo.example");
  await page.getByRole("combobox", { name: "Find a user" }).fill("carol@initech");
  await page.getByRole("option").filter({ hasText: "carol@initech.example" }).first().tap();
  await page.getByLabel("Reason category").selectOption("onboarding");
  const reason = page.getByLabel("Reason", { exact: true });
  await reason.tap();
  await reason.fill("Onboarding call: walk through the new schedule");
  const start = page.getByRole("button", { name: "Start viewing" });
  await start.scrollIntoViewIfNeeded();
  assert.ok(await start.isVisible(), "Start viewing can be reached");
  await start.tap();
  const banner = page.getByRole("region", { name: "Impersonation session" });
  await banner.waitFor();

  await banner.getByRole("button", { name: "Notes" }).tap();
  const note = page.getByLabel("Note", { exact: true });
  await note.tap();
  await note.fill("Walked through the schedule with Carol.");
  const save = page.getByRole("button", { name: /^(Save|Add) note$/ });
  await save.scrollIntoViewIfNeeded();
  await save.tap();
  await page.getByText("Walked through the schedule with Carol.").last().waitFor();
  // The banner, and Exit in it, are still on screen.
  const box = await banner.getByRole("button", { name: "Exit" }).boundingBox();
  assert.ok(box && box.y >= 0 && box.y + box.height <= 512, "Exit stays on screen");
  await banner.getByRole("button", { name: "Exit" }).tap();
  await page.getByRole("heading", { level: 1, name: "Session summary" }).waitFor();
  await context.close();
});

// The whole path with the keyboard alone: sign in, search, start, every tab,
// a note, Exit. Focus is always visible and lands on the main heading after
// each navigation.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startBoth, stopBoth, PASSWORD } from "../lib/harness.js";

let server;
let browser;

before(async () => ({ server, browser } = await startBoth()));
after(() => stopBoth({ server, browser }));

// What has focus: its tag, label-ish name, and whether a focus ring shows.
const focused = (page) =>
  page.evaluate(() => {
    const el = document.activeElement;
    if (!el || el === document.body) return { tag: "body", name: "", ring: false };
    const s = getComputedStyle(el);
    const ring = (s.outlineStyle !== "none" && parseFloat(s.outlineWidth) > 0) || s.boxShadow !== "none";
    const label = el.labels?.[0]?.textContent ?? "";
    const name = (el.getAttribute("aria-label") || label || el.textContent || "").trim().replace(/\s+/g, " ");
    return { tag: el.tagName.toLowerCase(), name, ring };
  });

// Presses Tab (or Shift+Tab) until the focused element's name matches,
// checking the focus ring on the way.
// `tag` tells apart controls of the same name (the "Find a user" nav link
// and the search field).
async function tabTo(page, pattern, { back = false, max = 40, tag = null } = {}) {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press(back ? "Shift+Tab" : "Tab");
    const f = await focused(page);
    assert.ok(f.tag === "body" || f.ring, `focus on ${f.tag} "${f.name}" is visible`);
    if (pattern.test(f.name) && (!tag || f.tag === tag)) return f;
  }
  throw new Error(`Tab never reached ${pattern}`);
}

async function headingFocused(page, name) {
  await page.getByRole("heading", { level: 1, name }).waitFor();
  await page.waitForFunction(
    (n) => document.activeElement?.tagName === "H1" && document.activeElement.textContent.includes(n),
    name,
    { timeout: 5000 },
  );
}

test("sign in to Exit with the keyboard alone", async () => {
  const page = await browser.newPage();
  await page.goto(server.url + "/");
  await page.getByLabel("Email").waitFor();
  // The first field has focus on arrival.
  assert.equal((await focused(page)).name, "Email");
  await page.keyboard.type("admin@duvo.example");
  await page.keyboard.press("Tab");
  await page.keyboard.type(PASSWORD);
  await page.keyboard.press("Enter");

  await page.getByRole("combobox", { name: "Find a user" }).waitFor();
  await tabTo(page, /^Find a user$/, { tag: "input" });
  await page.keyboard.type("alice@acme");
  await page.getByRole("option").first().waitFor();
  await page.keyboard.press("ArrowDown");
  await page.keyboard.press("Enter");

  await tabTo(page, /^Reason category$/);
  await page.keyboard.press("ArrowDown"); // the first category
  await tabTo(page, /^Reason$/, { tag: "textarea" });
  await page.keyboard.type("Keyboard-only walk through every view");
  await tabTo(page, /^Start viewing$/);
  await page.keyboard.press("Enter");

  const banner = page.getByRole("region", { name: "Impersonation session" });
  await banner.waitFor();
  await headingFocused(page, "Assignments");

  // The tabs sit above the heading: go back to them.
  for (const tab of ["Runs", "Workspace", "Assignments"]) {
    await tabTo(page, new RegExp(`^${tab}$`), { back: true });
    await page.keyboard.press("Enter");
    await headingFocused(page, tab);
  }

  await tabTo(page, /^Notes$/, { back: true });
  await page.keyboard.press("Enter");
  await page.getByLabel("Note", { exact: true }).waitFor();
  await tabTo(page, /^Note$/);
  await page.keyboard.type("Found it with the keyboard.");
  await tabTo(page, /^(Save|Add) note$/);
  await page.keyboard.press("Enter");
  await page.getByText("Found it with the keyboard.").last().waitFor();

  await tabTo(page, /^Exit$/, { back: true, max: 80 });
  await page.keyboard.press("Enter");
  await headingFocused(page, "Session summary");
});

// axe-core on every page of the console: no serious or critical violations.
// Per-page results are written to e2e/artifacts/axe.json.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { startBoth, stopBoth } from "../lib/harness.js";
import { tour } from "../lib/tour.js";
import { seriousViolations } from "../lib/axe.js";

let server;
let browser;

before(async () => ({ server, browser } = await startBoth()));
after(() => stopBoth({ server, browser }));

test("axe finds no serious or critical violation on any page", async () => {
  const page = await browser.newPage();
  const results = {};
  await tour(page, server.url, async (name, p) => {
    results[name] = await seriousViolations(p);
  });
  mkdirSync(new URL("../artifacts/", import.meta.url), { recursive: true });
  writeFileSync(new URL("../artifacts/axe.json", import.meta.url), JSON.stringify(results, null, 2));
  const pages = Object.keys(results);
  assert.ok(pages.length >= 12, `toured ${pages.length} pages`);
  const bad = Object.entries(results).filter(([, v]) => v.length > 0);
  assert.deepEqual(bad, [], JSON.stringify(bad, null, 2));
});

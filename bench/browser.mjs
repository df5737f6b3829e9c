// Time to view and tab memory, in headless system Chromium against a release
// server with the demo data. Prints JSON figures on the last line for run.sh.
//
//   start_to_view  click on "Start viewing" -> banner + first assignment row painted
//   runs_tab       click on the Runs tab     -> first page of Alice's 5,000+ runs painted
//   load_more      click on "Load more"      -> the next page painted
//   reference      a static page of similar DOM size from the same server, first paint
//   memory         JS heap + wasm memory after paging through 2,000 runs
import { mkdtempSync, cpSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startServer, launchBrowser, signIn, DIST } from "../e2e/lib/harness.js";

const REPS = Number(process.env.BENCH_REPS ?? 20);

// "Painted": the condition holds, then two animation frames have passed.
async function timeUntil(page, action, condition) {
  return page.evaluate(
    ([action, condition]) =>
      new Promise((resolve, reject) => {
        const check = new Function(`return (${condition})`);
        const t0 = performance.now();
        new Function(action)();
        const deadline = t0 + 30_000;
        const poll = () => {
          if (check()) {
            requestAnimationFrame(() => requestAnimationFrame(() => resolve(performance.now() - t0)));
          } else if (performance.now() > deadline) {
            reject(new Error("timed out waiting for " + condition));
          } else {
            requestAnimationFrame(poll);
          }
        };
        poll();
      }),
    [action, condition],
  );
}

const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { median: +q(0.5).toFixed(1), p90: +q(0.9).toFixed(1), n: s.length };
};

const clickButton = (name) =>
  `[...document.querySelectorAll("button")].find(b => b.textContent.trim() === ${JSON.stringify(name)}).click()`;
const clickLink = (name) =>
  `[...document.querySelectorAll("a")].find(a => a.textContent.trim() === ${JSON.stringify(name)}).click()`;
const BANNER = `document.querySelector('[aria-label="Impersonation session"]')`;

// A static reference page: a banner, tabs and a 50-row table, like a runs page.
const dist = mkdtempSync(join(tmpdir(), "viewas-bench-dist-"));
cpSync(DIST, dist, { recursive: true });
const rows = Array.from({ length: 50 }, (_, i) =>
  `<tr><td>Run ${100000 + i}</td><td>Nightly inventory sync</td><td>succeeded</td><td>2026-11-2${i % 10}</td><td>${i * 3}s</td></tr>`).join("");
writeFileSync(join(dist, "bench-reference.html"), `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>reference</title></head>
<body><section aria-label="banner"><p>Viewing as Alice Novak (alice@acme.example) Read-only 29:59 <button>Notes</button><button>Exit</button></p></section>
<nav><a href="#">Assignments</a> <a href="#">Runs</a> <a href="#">Workspace</a></nav><main><h1>Runs</h1><table>${rows}</table></main></body></html>`);

const server = await startServer([], {}, { dist });
const browser = await launchBrowser();
try {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(server.url + "/");
  await signIn(page, "admin@duvo.example");
  await page.getByRole("combobox", { name: "Find a user" }).waitFor();

  const start = [];
  const runsTab = [];
  const loadMore = [];
  for (let i = 0; i < REPS; i++) {
    await page.getByRole("combobox", { name: "Find a user" }).fill("alice@acme");
    await page.getByRole("option").filter({ hasText: "alice@acme.example" }).first().click();
    await page.getByLabel("Reason category").selectOption("diagnose_issue");
    await page.getByLabel("Reason", { exact: true }).fill("Benchmark: time from Start to the first view");
    start.push(await timeUntil(page, clickButton("Start viewing"), `${BANNER} && document.querySelector("main table tbody tr")`));

    runsTab.push(await timeUntil(page, clickLink("Runs"),
      `location.pathname.endsWith("/runs") && document.querySelectorAll("main table tbody tr").length >= 20`));
    const before = await page.evaluate(() => document.querySelectorAll("main table tbody tr").length);
    loadMore.push(await timeUntil(page, clickButton("Load more"),
      `document.querySelectorAll("main table tbody tr").length > ${before}`));

    await page.getByRole("region", { name: "Impersonation session" }).getByRole("button", { name: "Exit" }).click();
    await page.getByRole("heading", { level: 1, name: "Session summary" }).waitFor();
    await page.goto(server.url + "/");
  }

  const reference = [];
  const refPage = await context.newPage();
  for (let i = 0; i < REPS; i++) {
    await refPage.goto(server.url + "/bench-reference.html");
    reference.push(await refPage.evaluate(() => {
      const fcp = performance.getEntriesByName("first-contentful-paint")[0];
      return fcp ? fcp.startTime : performance.getEntriesByType("navigation")[0].loadEventEnd;
    }));
  }

  // Memory after paging through 2,000 runs, in a fresh tab.
  const memPage = await context.newPage();
  await memPage.addInitScript(() => {
    addEventListener("TrunkApplicationStarted", (e) => (window.__wasm = e.detail.wasm));
  });
  await memPage.goto(server.url + "/");
  await signIn(memPage, "admin@duvo.example");
  await memPage.getByRole("combobox", { name: "Find a user" }).fill("alice@acme");
  await memPage.getByRole("option").filter({ hasText: "alice@acme.example" }).first().click();
  await memPage.getByLabel("Reason category").selectOption("diagnose_issue");
  await memPage.getByLabel("Reason", { exact: true }).fill("Benchmark: memory after paging");
  await memPage.getByRole("button", { name: "Start viewing" }).click();
  await memPage.getByRole("link", { name: "Runs" }).click();
  await memPage.locator("main table tbody tr").nth(19).waitFor();
  let shown = await memPage.locator("main table tbody tr").count();
  while (shown < 2000) {
    await memPage.getByRole("button", { name: "Load more" }).click();
    await memPage.waitForFunction((n) => document.querySelectorAll("main table tbody tr").length > n, shown);
    shown = await memPage.locator("main table tbody tr").count();
  }
  const cdp = await context.newCDPSession(memPage);
  await cdp.send("HeapProfiler.collectGarbage");
  const { usedSize } = await cdp.send("Runtime.getHeapUsage");
  const wasmBytes = await memPage.evaluate(() => window.__wasm?.memory?.buffer?.byteLength ?? null);

  const out = {
    start_to_view: stats(start),
    runs_tab: stats(runsTab),
    load_more: stats(loadMore),
    reference: stats(reference),
    memory: { rows: shown, js_heap_bytes: usedSize, wasm_memory_bytes: wasmBytes },
  };
  console.log(JSON.stringify(out));
} finally {
  await browser.close();
  await server.stop();
}

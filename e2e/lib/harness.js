// Shared set-up for the end-to-end tests: a real viewas-server on a free port
// with a fresh database, and Debian's Chromium driven by playwright-core.
import { spawn } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

export const SERVER_BIN =
  process.env.VIEWAS_SERVER_BIN ?? join(root, "target", "release", "viewas-server");
export const DIST = process.env.VIEWAS_E2E_DIST ?? join(root, "dist");
export const CHROMIUM = process.env.CHROMIUM_BIN ?? "/usr/bin/chromium";
export const PASSWORD = "duvo-demo";

/**
 * Starts the server on 127.0.0.1:0 with a new database and the demo data.
 * Resolves once it prints its "listening on" line; `extraArgs` add flags
 * (e.g. `["--max-session", "20s"]`).
 */
export async function startServer(extraArgs = [], env = {}, { dist = DIST } = {}) {
  if (!existsSync(SERVER_BIN)) throw new Error(`server binary missing: ${SERVER_BIN} (run make test)`);
  if (!existsSync(join(dist, "index.html"))) throw new Error(`SPA not built: ${dist}/index.html`);
  const dir = mkdtempSync(join(tmpdir(), "viewas-e2e-"));
  const args = ["--addr", "127.0.0.1:0", "--db", join(dir, "viewas.db"), "--dist", dist, "--demo", ...extraArgs];
  const child = spawn(SERVER_BIN, args, {
    cwd: root, // relative defaults (portal/) resolve from the repository
    env: { ...process.env, RUST_LOG: process.env.RUST_LOG ?? "warn", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  child.stderr.on("data", (d) => (log += d));
  // With --portal-addr the server prints a second line for the partner portal.
  const wantPortal = extraArgs.includes("--portal-addr");
  const [url, portalUrl] = await new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`server did not start in 60 s:\n${log}`)), 60_000);
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
      const m = out.match(/viewas-server listening on (http:\/\/[\d.:]+)/);
      const p = out.match(/viewas-portal listening on (http:\/\/[\d.:]+)/);
      if (m && (p || !wantPortal)) {
        clearTimeout(timer);
        ok([m[1], p?.[1]]);
      }
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      fail(new Error(`server exited (${code}) before listening:\n${log}`));
    });
  });
  return {
    url,
    portalUrl,
    pid: child.pid,
    log: () => log,
    async stop() {
      if (child.exitCode === null) {
        child.kill("SIGTERM");
        await new Promise((r) => child.once("exit", r));
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A test file's server (with `serverArgs`) and browser:
 * `before(async () => ({ server, browser } = await startBoth()));`
 */
export async function startBoth(serverArgs = []) {
  const server = await startServer(serverArgs);
  return { server, browser: await launchBrowser() };
}

/** Closes what `startBoth` opened, whichever part of it started. */
export async function stopBoth({ server, browser }) {
  await browser?.close();
  await server?.stop();
}

/** Headless system Chromium; nothing downloads its own browser. */
export async function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-dev-shm-usage",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/** Waits until the page has its heading and no loading skeleton left. */
export const settled = (page) =>
  page.waitForFunction(() => !document.querySelector(".skeleton") && document.querySelector("h1"));

const SHOTS = new URL("../artifacts/screenshots/", import.meta.url);

/** The file path for screenshot `name` in e2e/artifacts/screenshots/ (made if missing). */
export function shotPath(name) {
  mkdirSync(SHOTS, { recursive: true });
  return new URL(name, SHOTS).pathname;
}

/** Collects console errors and page errors so a test can assert there were none. */
export function watchConsole(page) {
  const errors = [];
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  page.on("pageerror", (e) => errors.push(String(e)));
  return errors;
}

/** Signs in through the form. */
export async function signIn(page, email) {
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
}

/** The impersonation token the SPA keeps in sessionStorage. */
export async function sessionToken(page) {
  return page.evaluate(() => {
    const raw = sessionStorage.getItem("viewas.session");
    return raw ? JSON.parse(raw).token : null;
  });
}

/**
 * From the admin home: finds a user by `query`, picks the option holding
 * `email`, fills the start form and starts a session. Returns the banner.
 */
export async function startSession(page, query, email, reason = "Customer asked us to check their setup") {
  const search = page.getByRole("combobox", { name: "Find a user" });
  await search.fill(query);
  await page.getByRole("option").filter({ hasText: email }).first().click();
  await page.getByLabel("Reason category").selectOption("support_request");
  await page.getByLabel("Reason", { exact: true }).fill(reason);
  await page.getByRole("button", { name: "Start viewing" }).click();
  const banner = page.getByRole("region", { name: "Impersonation session" });
  await banner.waitFor();
  return banner;
}

/** The banner's text with whitespace collapsed. */
export async function bannerText(page) {
  const text = await page.getByRole("region", { name: "Impersonation session" }).innerText();
  return text.replace(/\s+/g, " ").trim();
}

// A tour of every page of the console, shared by the accessibility and the
// tablet tests: each stop calls `visit(name, page)` once the page has loaded.
import { signIn, startSession, sessionToken, settled } from "./harness.js";

async function viewJson(page, path) {
  const token = await sessionToken(page);
  return page.evaluate(
    async ([p, t]) => (await fetch(p, { headers: { Authorization: `Bearer ${t}` } })).json(),
    [path, token],
  );
}

export async function tour(page, baseUrl, visit) {
  await page.goto(baseUrl + "/");
  await page.getByLabel("Email").waitFor();
  await visit("sign-in", page);

  await signIn(page, "admin@duvo.example");
  const search = page.getByRole("combobox", { name: "Find a user" });
  await search.fill("a");
  await page.getByRole("option").first().waitFor();
  await visit("search", page);

  await search.fill("alice@acme");
  await page.getByRole("option").filter({ hasText: "alice@acme.example" }).first().click();
  await page.getByLabel("Reason", { exact: true }).waitFor();
  await visit("start-form", page);

  await startSession(page, "alice@acme", "alice@acme.example", "Accessibility and tablet tour of every view");
  await page.locator("main table tbody tr").first().waitFor();
  await settled(page);
  await visit("assignments", page);

  const assignments = await viewJson(page, "/api/view/assignments");
  const firstAssignment = (Array.isArray(assignments) ? assignments : assignments.items)[0];
  await page.goto(`${baseUrl}/session/assignments/${firstAssignment.id}`);
  await page.getByRole("heading", { level: 1, name: firstAssignment.name }).waitFor();
  await settled(page);
  await visit("assignment-detail", page);

  await page.goto(`${baseUrl}/session/runs`);
  await page.locator("main table tbody tr").first().waitFor();
  await settled(page);
  await visit("runs", page);

  const runs = await viewJson(page, "/api/view/runs?limit=1");
  await page.goto(`${baseUrl}/session/runs/${runs.items[0].id}`);
  await page.getByRole("heading", { level: 1 }).filter({ hasText: `#${runs.items[0].id}` }).waitFor();
  await settled(page);
  await visit("run-detail", page);

  await page.goto(`${baseUrl}/session/workspace`);
  await page.getByRole("heading", { level: 1 }).waitFor();
  await page.locator("main table tbody tr").first().waitFor();
  await settled(page);
  await visit("workspace", page);

  const banner = page.getByRole("region", { name: "Impersonation session" });
  await banner.getByRole("button", { name: "Notes" }).click();
  await page.getByLabel("Note", { exact: true }).fill("Export settings look right; the failure is upstream.");
  await page.getByRole("button", { name: /^(Save|Add) note$/ }).click();
  await page.getByText("Export settings look right; the failure is upstream.").last().waitFor();
  await visit("notes", page);

  await page.goto(`${baseUrl}/session/no-such-view`);
  await page.getByRole("heading", { level: 1, name: "Page not found" }).waitFor();
  await visit("not-found-in-session", page);

  await banner.getByRole("button", { name: "Exit" }).click();
  await page.getByRole("heading", { level: 1, name: "Session summary" }).waitFor();
  await settled(page);
  await visit("summary", page);

  await page.goto(`${baseUrl}/audit`);
  await page.getByRole("heading", { level: 1, name: "Audit" }).waitFor();
  await page.locator("main table tbody tr").first().waitFor();
  await settled(page);
  await visit("audit", page);

  await page.goto(`${baseUrl}/no-such-page`);
  await page.getByRole("heading", { level: 1, name: "Page not found" }).waitFor();
  await visit("not-found", page);
}

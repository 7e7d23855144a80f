// Every page, for every role, on a phone and a desktop: no console errors, no failed requests,
// nothing scrolling sideways, no source code or "soon" labels on screen, no action the role may
// not take, and 44 px tap targets on the phone. Signs in as the demo organization (loaded by
// scripts/test.sh), which has a member of every role.
//
// ROUTES is the page list: tests/api/routes.rs fails when a route of src/app.rs is missing here.
import { expect, type Page } from "@playwright/test";

import { expectNoHorizontalScroll, test, waitForHydration } from "./support";

const DEMO_PASSWORD = "demo harbour lantern 2026";
const ROLES = ["owner", "admin", "supervisor", "staff", "auditor", "inspector"] as const;
type Role = (typeof ROLES)[number];

/** Route pattern → the roles that reach it from the navigation (`:id` and `:token` are filled
 *  from the demo's first facility and its first sticker). `missingToken`: opened without the
 *  token its email link carries, the page answers 4xx on purpose and says so. */
const ROUTES: Record<string, { roles: readonly Role[] | "signed-out"; missingToken?: boolean }> = {
  "/": { roles: "signed-out" },
  "/register": { roles: "signed-out" },
  "/login": { roles: "signed-out" },
  "/login/two-factor": { roles: "signed-out" },
  "/login/sso": { roles: "signed-out" },
  "/verify-email": { roles: "signed-out", missingToken: true },
  "/forgot-password": { roles: "signed-out" },
  "/reset-password": { roles: "signed-out", missingToken: true },
  "/invitations/accept": { roles: "signed-out", missingToken: true },
  "/verify": { roles: "signed-out" },
  "/app": { roles: ROLES },
  "/facilities": { roles: ROLES },
  "/equipment": { roles: ROLES },
  "/protocols": { roles: ROLES },
  "/facilities/:id/labels": { roles: ROLES },
  "/q/:token": { roles: ROLES },
  "/account": { roles: ROLES },
  "/account/security": { roles: ROLES },
  "/settings": { roles: ["owner", "admin"] },
  "/reports": { roles: ["owner", "admin", "supervisor", "auditor", "inspector"] },
  "/reviews": { roles: ["owner", "admin", "supervisor"] },
  "/corrective-actions": { roles: ["owner", "admin", "supervisor"] },
  "/notifications": { roles: ROLES },
  "/monitoring": { roles: ["owner", "admin", "supervisor"] },
  "/monitoring/:id": { roles: ["owner", "admin", "supervisor"] },
  "/billing": { roles: ["owner", "admin"] },
  "/team": { roles: ["owner", "admin", "supervisor", "auditor"] },
  "/audit": { roles: ["owner", "admin", "auditor"] },
  "/platform": { roles: ["owner"] }, // the demo owner is made a platform operator too
};

/** Buttons a role must not be offered (the server refuses them anyway). */
const FORBIDDEN: Partial<Record<Role, RegExp[]>> = {
  admin: [/^Save sign-in rules/, /^Sign out everywhere$/],
  supervisor: [/^Retire/, /^Add (facility|equipment)/, /^Create protocol/, /^Save settings/, /^Change role/, /^Remove$/, /^Send invitation/],
  staff: [/^Open the action/, /^Verify \(second signature\)/, /^Retire/, /^Add (facility|equipment)/, /^Create protocol/, /^Set protocol/, /^Save settings/, /^Save$/],
  auditor: [/^Open the action/, /^Close the action/, /^Sign: /, /^Verify \(second signature\)/, /^Retire/, /^Add (facility|equipment)/, /^Create protocol/, /^Set protocol/, /^Save settings/, /^Save$/, /^Change role/, /^Send invitation/],
  inspector: [/^Open the action/, /^Close the action/, /^Sign: /, /^Verify \(second signature\)/, /^Retire/, /^Add (facility|equipment)/, /^Create protocol/, /^Set protocol/, /^Save settings/, /^Save$/, /^Change role/, /^Invite inspector/],
};

/** Text that is Rust source, not a label (a `>` inside a `view!` attribute once did this). */
const SOURCE_CODE = [/move \|/, /=>/, /\.update\(/, /\w::\w/];

const VIEWPORTS = [
  { name: "phone", width: 390, height: 844 },
  { name: "desktop", width: 1366, height: 900 },
];

async function signIn(page: Page, role: Role) {
  await page.goto("/login");
  await waitForHydration(page);
  await page.getByLabel("Email").fill(`${role}@demo.cleantrack.test`);
  await page.getByLabel("Password").fill(DEMO_PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/app$/);
}

type Places = { id: string; token: string; round: string };

/** The demo's first facility id, first sticker path and latest monitoring round, as the owner
 *  sees them. */
async function demoPlaces(page: Page): Promise<Places> {
  await page.goto("/facilities");
  const labels = await page.getByRole("link", { name: "Print QR labels" }).first().getAttribute("href");
  const id = labels!.split("/")[2];
  await page.goto(labels!);
  const sticker = await page.getByRole("link", { name: "Open" }).first().getAttribute("href");
  await page.goto("/monitoring");
  const round = await page.locator("[data-round] a").first().getAttribute("href");
  return { id, token: new URL(sticker!).pathname.split("/")[2], round: round!.split("/")[2] };
}

function pathOf(route: string, places: Places) {
  const id = route.startsWith("/monitoring/") ? places.round : places.id;
  return route.replace(":id", id).replace(":token", places.token);
}

/** Watches a page for what must not happen while it is open. `deliberate`: URLs whose 4xx is
 *  the expected answer. */
function watch(page: Page, deliberate: (url: string) => boolean = () => false) {
  const problems: string[] = [];
  page.on("console", (msg) => {
    // The browser reports every 4xx as a console error too; a deliberate one is not a problem.
    const expected = msg.text().startsWith("Failed to load resource") && deliberate(msg.location().url);
    if (msg.type() === "error" && !expected) problems.push(`console: ${msg.text()} (${msg.location().url})`);
  });
  page.on("pageerror", (err) => problems.push(`page error: ${err.message}`));
  // Leaving a page cancels what it was still loading (ERR_ABORTED): the crawl's doing, not a fault.
  page.on("requestfailed", (req) => {
    const reason = req.failure()?.errorText ?? "";
    if (!reason.includes("ERR_ABORTED")) problems.push(`failed: ${req.url()} ${reason}`);
  });
  page.on("response", (res) => {
    const expected = res.status() < 500 && deliberate(res.url());
    if (res.status() >= 400 && !expected) problems.push(`HTTP ${res.status()}: ${res.url()}`);
  });
  return problems;
}

async function checkPage(page: Page, label: string, phone: boolean, role: Role | null) {
  await expectNoHorizontalScroll(page);
  const text = await page.locator("body").innerText();
  for (const pattern of SOURCE_CODE) {
    expect(text, `${label}: source code on screen`).not.toMatch(pattern);
  }
  const soon = await page.locator("body *").filter({ hasText: /^\s*soon\s*$/i }).count();
  expect(soon, `${label}: a "soon" label`).toBe(0);
  if (role && FORBIDDEN[role]) {
    const buttons = await page.locator("button:visible, a.button:visible").allInnerTexts();
    for (const name of buttons) {
      for (const pattern of FORBIDDEN[role]!) {
        expect(name.trim(), `${label}: ${role} is offered "${name.trim()}"`).not.toMatch(pattern);
      }
    }
  }
  if (phone) {
    const small = await page.evaluate(() => {
      const targets = document.querySelectorAll(
        "button, select, textarea, summary, a.button, .site-nav a, .brand, input:not([type=hidden]):not([type=checkbox]):not([type=radio]), label.check",
      );
      return Array.from(targets)
        .map((el) => ({ el, box: el.getBoundingClientRect() }))
        .filter(({ box }) => box.width > 0 && box.height > 0 && box.height < 43.5)
        .map(({ el, box }) => `${el.tagName.toLowerCase()} "${(el.textContent ?? "").trim().slice(0, 30)}" ${Math.round(box.height)} px`);
    });
    expect(small, `${label}: tap targets under 44 px`).toEqual([]);
  }
}

for (const viewport of VIEWPORTS) {
  test(`signed out, every public page on a ${viewport.name}`, async ({ page }) => {
    await page.setViewportSize(viewport);
    const tokenPages = Object.entries(ROUTES).filter(([, r]) => r.missingToken).map(([route]) => route);
    // A page without its token may answer 4xx, and so may the call it makes for the token.
    const problems = watch(page, (url) => tokenPages.includes(new URL(url).pathname) || new URL(url).pathname.startsWith("/api/"));
    for (const [route, { roles }] of Object.entries(ROUTES)) {
      if (roles !== "signed-out") continue;
      await page.goto(route);
      await waitForHydration(page);
      await checkPage(page, `${route} (${viewport.name})`, viewport.name === "phone", null);
    }
    expect(problems).toEqual([]);
  });

  for (const role of ROLES) {
    test(`${role}, every page on a ${viewport.name}`, async ({ page, browser }) => {
      test.setTimeout(180_000);
      const owner = await browser.newPage();
      await signIn(owner, "owner");
      const places = await demoPlaces(owner);
      await owner.close();

      await page.setViewportSize(viewport);
      await signIn(page, role);
      const problems = watch(page);
      for (const [route, { roles }] of Object.entries(ROUTES)) {
        if (roles === "signed-out" || !roles.includes(role)) continue;
        const path = pathOf(route, places);
        await page.goto(path);
        await waitForHydration(page);
        await checkPage(page, `${route} as ${role} (${viewport.name})`, viewport.name === "phone", role);
      }
      expect(problems).toEqual([]);
    });
  }
}

test("protocol steps that look like a redirect stay text: opening the Revise form goes nowhere", async ({ page }) => {
  await signIn(page, "owner");
  await page.goto("/protocols");
  await waitForHydration(page);
  const payload = '</textarea><meta http-equiv="refresh" content="1;url=/login?hijacked=1">';
  const name = `Injected ${Date.now()}`;
  await page.getByLabel("Name").last().fill(name);
  await page.getByLabel("Steps, one per line").last().fill(`${payload}\n<script>window.__pwned=1</script>`);
  await page.getByRole("button", { name: "Create protocol" }).click();
  await expect(page.getByText("Protocol created.")).toBeVisible();
  // A fresh load: the server's HTML, as everyone who opens the page gets it.
  await page.goto("/protocols");
  const row = page.locator(`[data-protocol="${name}"]`);
  await row.getByText("Revise").click();
  await expect(row.locator("textarea")).toHaveValue(`${payload}\n<script>window.__pwned=1</script>`);
  await page.waitForTimeout(2_000);
  await expect(page).toHaveURL(/\/protocols$/);
  expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
});

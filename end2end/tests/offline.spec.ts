// The phone flow of the sticker page: no app WASM and a small first visit, logging on a slow
// network, opening a sticker and signing with no connection, and the queue that sends each
// cleaning exactly once when the connection returns.
import { expect, type Browser, type BrowserContext, type Page } from "@playwright/test";

import { PASSWORD, setUpEquipment as setUp, signCleaning, test, unique, waitForHydration } from "./support";

/** The first-visit budget of the sticker page (HTML, CSS, scripts; compressed as sent). */
const BUDGET = 30 * 1024;

/** A phone that has never opened the site, signed in as the person in `page`'s context. */
async function freshPhone(page: Page, options: Parameters<Browser["newContext"]>[0] = {}) {
  const phone = await page.context().browser()!.newContext({ viewport: { width: 390, height: 844 }, ...options });
  await phone.addCookies(await page.context().cookies());
  return phone;
}

/** A photo as big as a phone camera's, drawn by the browser. */
async function bigPhoto(page: Page): Promise<Buffer> {
  const dataUrl = await page.evaluate(() => {
    const canvas = document.createElement("canvas");
    canvas.width = 3200;
    canvas.height = 2400;
    const ctx = canvas.getContext("2d")!;
    for (let i = 0; i < 40; i++) {
      ctx.fillStyle = `hsl(${i * 9}, 60%, ${30 + (i % 5) * 10}%)`;
      ctx.fillRect((i * 80) % 3200, (i * 60) % 2400, 400, 300);
    }
    return canvas.toDataURL("image/jpeg", 0.95);
  });
  return Buffer.from(dataUrl.split(",")[1], "base64");
}

/** What the phone keeps in its queue (IndexedDB), read from the page. */
async function queued(page: Page): Promise<{ key: string; captured: string; state: string }[]> {
  return page.evaluate(
    () =>
      new Promise((done, fail) => {
        const open = indexedDB.open("cleantrack", 1);
        open.onupgradeneeded = () => open.result.createObjectStore("queue", { keyPath: "key" });
        open.onsuccess = () => {
          const req = open.result.transaction("queue").objectStore("queue").getAll();
          req.onsuccess = () => done(req.result.map((e: any) => ({ key: e.key, captured: e.captured, state: e.state })));
          req.onerror = () => fail(req.error);
        };
        open.onerror = () => fail(open.error);
      }),
  );
}

/** A phone already on `sticker` when the signal drops (no service worker): its person signs a
 *  cleaning, which is kept in the queue. Returns the phone, its page and the queued entry. */
async function signedWithNoSignal(page: Page, sticker: string) {
  const phone = await freshPhone(page, { serviceWorkers: "block" });
  const nurse = await phone.newPage();
  await nurse.goto(sticker);
  await waitForHydration(nurse);
  await phone.setOffline(true);
  await nurse.getByLabel("Switch off").first().check();
  await nurse.getByLabel("Wipe with disinfectant").first().check();
  await signCleaning(nurse);
  await expect(nurse.locator("#queue")).toContainText("1 cleaning kept on this phone");
  const [entry] = await queued(nurse);
  return { phone, nurse, entry };
}

/** The logs CSV's rows for the signed-in owner, as objects by column name. */
async function csvRows(context: BrowserContext): Promise<Record<string, string>[]> {
  const text = await (await context.request.get("/reports/logs.csv")).text();
  const [head, ...lines] = text.trim().split("\n");
  const names = head.split(",");
  // The values this test reads hold no commas or quotes.
  return lines.map((line) => Object.fromEntries(line.split(",").map((v, i) => [names[i], v])));
}

test("the sticker page loads no app WASM and its first visit is under 30 KB", async ({ page }) => {
  const sticker = await setUp(page);
  const phone = await freshPhone(page, { serviceWorkers: "block" });
  const cold = await phone.newPage();
  const cdp = await phone.newCDPSession(cold);
  await cdp.send("Network.enable");
  const bytes = new Map<string, number>();
  const urls = new Map<string, string>();
  cdp.on("Network.requestWillBeSent", (e) => urls.set(e.requestId, e.request.url));
  cdp.on("Network.loadingFinished", (e) => bytes.set(e.requestId, e.encodedDataLength));
  await cold.goto(sticker, { waitUntil: "load" });
  await waitForHydration(cold);
  await cold.waitForLoadState("networkidle");
  const files = [...bytes].map(([id, n]) => [new URL(urls.get(id)!).pathname, n] as const);
  const total = files.reduce((sum, [, n]) => sum + n, 0);
  console.log(`first visit of the sticker page: ${total} bytes as sent\n${files.map(([p, n]) => `  ${n}\t${p}`).join("\n")}`);
  expect(files.map(([p]) => p).filter((p) => p.endsWith(".wasm") || p.startsWith("/pkg/cleantrack") && p.endsWith(".js"))).toEqual([]);
  expect(total).toBeLessThan(BUDGET);
  // Everything a nurse needs is there and works: the photo picker came with q.js.
  await expect(cold.getByLabel("Photos")).toBeVisible();
  await phone.close();
});

test("on a slow 3G network, a cleaning is logged from a cold cache (time printed)", async ({ page }) => {
  const sticker = await setUp(page);
  const phone = await freshPhone(page);
  const slow = await phone.newPage();
  const cdp = await phone.newCDPSession(slow);
  await cdp.send("Network.enable");
  // Chrome DevTools' "Slow 3G" profile: 2 s latency, about 50 KB/s each way.
  await cdp.send("Network.emulateNetworkConditions", {
    offline: false,
    latency: 2000,
    downloadThroughput: (500 * 1024) / 8 * 0.8,
    uploadThroughput: (500 * 1024) / 8 * 0.8,
  });
  const started = Date.now();
  await slow.goto(sticker, { waitUntil: "commit" });
  await slow.getByLabel("Switch off").check();
  await slow.getByLabel("Wipe with disinfectant").check();
  await signCleaning(slow);
  await expect(slow.getByRole("status")).toHaveText("Recorded and signed.", { timeout: 60_000 });
  const seconds = (Date.now() - started) / 1000;
  console.log(`time to log on slow 3G, cold cache (open the sticker, tick, sign, see the confirmation): ${seconds.toFixed(1)} s`);
  await expect(slow.locator(".audit-entry")).toHaveCount(1);
  await phone.close();
});

test("a sticker opened once opens offline; a cleaning signed offline is sent once, with its capture time and photo", async ({ page }) => {
  test.slow();
  const sticker = await setUp(page);
  const phone = await freshPhone(page);
  const nurse = await phone.newPage();
  await nurse.goto(sticker);
  await waitForHydration(nurse);
  // The service worker keeps the page.
  await expect.poll(() => nurse.evaluate(async (path) => Boolean(await caches.match(path)), sticker), { timeout: 15_000 }).toBe(true);

  await phone.setOffline(true);
  await nurse.goto(sticker);
  await expect(nurse.locator(".offline-note")).toContainText("Offline: showing what you last saw on this phone");
  await expect(nurse.getByRole("heading", { level: 1 })).toHaveText("Infusion pump 12");
  await waitForHydration(nurse);
  // A photo chosen offline is kept with the cleaning.
  await nurse.getByLabel("Photos").setInputFiles([{ name: "pump.jpg", mimeType: "image/jpeg", buffer: await bigPhoto(nurse) }]);
  await expect(nurse.locator(".photo-uploads")).toContainText("kept on this phone");
  await nurse.getByLabel("Switch off").first().check();
  await nurse.getByLabel("Wipe with disinfectant").first().check();
  await signCleaning(nurse);
  await expect(nurse.locator("#queue")).toContainText("1 cleaning kept on this phone");
  await expect(nurse.locator("#queue")).toContainText("waiting to send");
  const [entry] = await queued(nurse);
  expect(entry.state).toBe("waiting");
  // A moment offline, so the capture time and the receipt time differ.
  await nurse.waitForTimeout(2_000);

  await phone.setOffline(false);
  await expect(nurse.locator(`[data-queue-entry="${entry.key}"]`)).toHaveAttribute("data-state", "sent", { timeout: 20_000 });
  await expect(nurse.locator("#queue")).toContainText("Sent from this phone");

  await nurse.goto(sticker);
  const log = nurse.locator(".audit-entry");
  await expect(log).toHaveCount(1);
  await expect(log.first()).toContainText("Entered offline");
  await expect(log.first()).toContainText("Captured offline at");
  await expect(log.first().locator(".log-photos img")).toHaveCount(1);
  // Resized on the phone: the stored original is 1600 px on its longest side.
  const photo = await log.first().locator(".log-photos a, .log-photos img").first().evaluate((node) =>
    (node.closest("a")?.getAttribute("href") ?? node.getAttribute("src")!).replace(/\/thumb$/, ""));
  const width = await nurse.evaluate(async (src) => {
    const img = new Image();
    img.src = src;
    await img.decode();
    return Math.max(img.naturalWidth, img.naturalHeight);
  }, photo);
  expect(width).toBe(1600);

  // On the server: one log, marked, with the phone's capture time (to the second).
  const rows = (await csvRows(phone)).filter((r) => r.equipment === "Infusion pump 12");
  expect(rows).toHaveLength(1);
  expect(rows[0].entered_offline).toBe("yes");
  expect(rows[0].performed_at_utc.slice(0, 19)).toBe(entry.captured.slice(0, 19));
  expect(rows[0].received_at_utc > rows[0].performed_at_utc).toBe(true);
  await phone.close();
});

test("a queued cleaning whose answer was lost is sent again after a reload and is still one log; a PIN is asked again, never stored", async ({ page }) => {
  test.slow();
  const sticker = await setUp(page);
  const { phone, nurse, entry } = await signedWithNoSignal(page, sticker);

  // Back online, the server records it but the answer never reaches the phone.
  let delivered = 0;
  await nurse.route("**/api/log_cleaning", async (route) => {
    await route.fetch();
    delivered += 1;
    await route.abort("connectionreset");
  });
  await phone.setOffline(false);
  await expect.poll(() => delivered, { timeout: 20_000 }).toBeGreaterThan(0);
  await nurse.unrouteAll({ behavior: "wait" });
  await expect(nurse.locator(`[data-queue-entry="${entry.key}"]`)).toHaveAttribute("data-state", "waiting");

  // A reload: the password typed for it was held only in memory, so it is asked again.
  await nurse.reload();
  const row = nurse.locator(`[data-queue-entry="${entry.key}"]`);
  await expect(row).toContainText("waiting for your password or PIN");
  await row.getByLabel(/Your password or signing PIN/).fill(PASSWORD);
  await row.getByRole("button", { name: "Send" }).click();
  await expect(row).toHaveAttribute("data-state", "sent", { timeout: 20_000 });
  await nurse.reload();
  await expect(nurse.locator(".audit-entry")).toHaveCount(1);
  expect((await csvRows(phone)).filter((r) => r.equipment === "Infusion pump 12")).toHaveLength(1);

  // Signed offline, then the equipment is retired before the phone is back: refused, saying so,
  // and kept on the phone until the person dismisses it.
  await phone.setOffline(true);
  await nurse.getByLabel("Switch off").first().check();
  await nurse.getByLabel("Wipe with disinfectant").first().check();
  await signCleaning(nurse);
  await expect(nurse.locator("#queue")).toContainText("1 cleaning kept on this phone");
  const id = await nurse.locator('input[name="equipment_id"]').inputValue();
  const origin = new URL(nurse.url()).origin;
  const retired = await page.context().request.post("/api/retire_equipment", { form: { id, reason: "Replaced" }, headers: { Origin: origin } });
  expect(retired.status()).toBe(200);
  await phone.setOffline(false);
  const refused = nurse.locator('[data-queue-entry][data-state="refused"]');
  await expect(refused).toContainText("Infusion pump 12 was retired, so this cleaning was not recorded", { timeout: 20_000 });
  await refused.getByRole("button", { name: "Discard" }).click();
  await expect(nurse.locator('[data-queue-entry][data-state="refused"]')).toHaveCount(0);
  await phone.close();
});

test("signing in from a sticker lands on the light sticker page, not the app's version of it", async ({ page, browser }) => {
  const email = `sticker-${unique()}@clinic.example`;
  const sticker = await setUp(page, email);
  // A phone that is not signed in scans the sticker: sign in first, then back to it (the app's
  // router makes that last step, and the sticker page is not part of the app's WASM).
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const nurse = await phone.newPage();
  await nurse.goto(sticker);
  await expect(nurse).toHaveURL(/\/login\?next=/);
  await waitForHydration(nurse);
  await nurse.getByLabel("Email").fill(email);
  await nurse.getByLabel("Password").fill(PASSWORD);
  await nurse.getByRole("button", { name: "Sign in" }).click();
  await expect(nurse).toHaveURL(new RegExp(`${sticker}$`));
  await expect(nurse.locator('script[src="/q.js"]')).toHaveCount(1);
  await expect(nurse.getByLabel("Photos")).toBeVisible();
  await phone.close();
});

test("signing out on a phone forgets the sticker pages it kept", async ({ page }) => {
  const sticker = await setUp(page);
  const phone = await freshPhone(page);
  const nurse = await phone.newPage();
  await nurse.goto(sticker);
  await waitForHydration(nurse);
  const kept = () => nurse.evaluate(async (path) => Boolean(await caches.match(path)), sticker);
  await expect.poll(kept, { timeout: 15_000 }).toBe(true);

  await nurse.getByRole("button", { name: "Menu" }).click();
  await nurse.getByRole("button", { name: "Sign out" }).click();
  await expect(nurse).toHaveURL(/\/login/);
  await expect.poll(kept, { timeout: 15_000 }).toBe(false);

  // With no signal, the sticker no longer opens from this phone.
  await phone.setOffline(true);
  await nurse.goto(sticker).catch(() => {});
  await expect(nurse.getByRole("heading", { name: "Infusion pump 12" })).toHaveCount(0);
  await phone.close();
});

test("a cleaning queued by one person waits on a shared phone while another is signed in, and is sent for its signer", async ({ page, browser }) => {
  test.slow();
  const stickerA = await setUp(page);
  const other = await (await browser.newContext()).newPage();
  const stickerB = await setUp(other, `logs-b-${unique()}@clinic.example`);
  const cookiesOf = async (p: Page) => p.context().cookies();
  const [a, b] = [await cookiesOf(page), await cookiesOf(other)];

  // A signs a cleaning with no signal, and the page is closed before the signal returns.
  const { phone, nurse, entry } = await signedWithNoSignal(page, stickerA);
  await nurse.close();

  // B uses the phone next: A's cleaning is shown as A's, and not sent under B's session.
  await phone.clearCookies();
  await phone.addCookies(b);
  await phone.setOffline(false);
  const colleague = await phone.newPage();
  await colleague.goto(stickerB);
  await waitForHydration(colleague);
  const row = colleague.locator(`[data-queue-entry="${entry.key}"]`);
  await expect(row).toContainText("waiting for Lia Logs to sign in on this phone");
  await colleague.waitForTimeout(2_000);
  await expect(row).toHaveAttribute("data-state", "waiting");
  expect((await csvRows(page.context())).filter((r) => r.equipment === "Infusion pump 12")).toHaveLength(0);
  await colleague.close();

  // A is back: the cleaning goes out once A confirms with the password (never stored).
  await phone.clearCookies();
  await phone.addCookies(a);
  const back = await phone.newPage();
  await back.goto(stickerA);
  await waitForHydration(back);
  const mine = back.locator(`[data-queue-entry="${entry.key}"]`);
  await expect(mine).toContainText("waiting for your password or PIN");
  await mine.getByLabel(/Your password or signing PIN/).fill(PASSWORD);
  await mine.getByRole("button", { name: "Send" }).click();
  await expect(mine).toHaveAttribute("data-state", "sent", { timeout: 20_000 });
  expect((await csvRows(page.context())).filter((r) => r.equipment === "Infusion pump 12")).toHaveLength(1);
  await phone.close();
});

test("a cleaning queued when the session has ended asks its signer to sign in, and is sent once they have", async ({ page }) => {
  test.slow();
  const sticker = await setUp(page);
  const { phone, nurse, entry } = await signedWithNoSignal(page, sticker);
  const session = await phone.cookies();
  // The session ends while the phone has no signal (it expired, or was ended elsewhere).
  await phone.clearCookies();
  await phone.setOffline(false);
  const row = nurse.locator(`[data-queue-entry="${entry.key}"]`);
  await expect(row).toHaveAttribute("data-state", "signin", { timeout: 20_000 });
  await expect(row.getByRole("link", { name: "sign in" })).toHaveAttribute("href", /^\/login\?next=/);
  expect((await csvRows(page.context())).filter((r) => r.equipment === "Infusion pump 12")).toHaveLength(0);

  // Signed in again: the cleaning is still there, and goes once the password is given again.
  await phone.addCookies(session);
  await nurse.reload();
  await expect(row).toContainText("waiting for your password or PIN");
  await row.getByLabel(/Your password or signing PIN/).fill(PASSWORD);
  await row.getByRole("button", { name: "Send" }).click();
  await expect(row).toHaveAttribute("data-state", "sent", { timeout: 20_000 });
  expect((await csvRows(page.context())).filter((r) => r.equipment === "Infusion pump 12")).toHaveLength(1);
  await phone.close();
});

// The service worker behind the sticker pages (registered by /q.js). It keeps:
// - the sticker pages this phone opened (the latest MAX_PAGES), refreshed on every online visit,
//   so a sticker scanned with no signal still opens, marked "offline, showing what you last saw";
// - the files those pages use (the stylesheet, /q.js, the icon).
// Nothing else is touched: the app's other pages and every form post go to the network as usual.
// On a sign-out it sees, it forgets the kept pages (they hold what that person could see).

const PAGES = "ct-pages-v1";
const FILES = "ct-files-v1";
const MAX_PAGES = 30;
// How long a sticker page waits for the network before the kept copy is shown.
const PATIENCE_MS = 6000;

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(FILES).then((c) => c.addAll(["/q.js", "/favicon.svg"])).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(names.filter((n) => n !== PAGES && n !== FILES).map((n) => caches.delete(n))))
      .then(() => self.clients.claim()),
  );
});

// A first visit, before this worker controlled the page: the page asks for itself and its files
// to be kept.
self.addEventListener("message", (event) => {
  const keep = event.data && event.data.keep;
  if (!keep) return;
  const files = (keep.files || []).filter(isFile);
  event.waitUntil(Promise.all([
    caches.open(FILES).then((c) => c.addAll(files)).catch(() => {}),
    typeof keep.page === "string" && keep.page.startsWith("/q/")
      ? fetch(keep.page, { credentials: "same-origin" }).then((res) => remember(keep.page, res)).catch(() => {})
      : null,
  ]));
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.method === "POST" && url.pathname === "/api/logout") {
    event.waitUntil(caches.delete(PAGES));
    return;
  }
  if (request.method !== "GET") return;
  if (request.mode === "navigate" && url.pathname.startsWith("/q/")) {
    event.respondWith(stickerPage(event, request, url));
  } else if (isFile(url.href)) {
    event.respondWith(file(request));
  }
});

function isFile(href) {
  const path = new URL(href, self.location.origin).pathname;
  return path === "/q.js" || path === "/favicon.svg" || /^\/pkg\/[^/]+\.css$/.test(path);
}

// The network's answer, kept for later; the kept copy when the network does not answer in time.
async function stickerPage(event, request, url) {
  const network = fetch(request).then((res) => {
    if (!url.search) event.waitUntil(remember(url.pathname, res.clone()));
    return res;
  });
  const late = new Promise((done) => setTimeout(done, PATIENCE_MS));
  try {
    const first = await Promise.race([network, late]);
    if (first) return first;
  } catch (_) {
    // No connection: the kept copy below.
  }
  const kept = await (await caches.open(PAGES)).match(url.pathname);
  if (kept) return offlineCopy(kept);
  try {
    return await network;
  } catch (_) {
    return new Response(NEVER_OPENED, { status: 503, headers: { "Content-Type": "text/html; charset=utf-8" } });
  }
}

// Only complete pages of a signed-in session (not a redirect to sign in, not an error).
async function remember(path, res) {
  if (!res.ok || res.redirected || !(res.headers.get("Content-Type") || "").startsWith("text/html")) return;
  const html = await res.text();
  const cache = await caches.open(PAGES);
  await cache.delete(path);
  await cache.put(path, new Response(html, {
    headers: { "Content-Type": "text/html; charset=utf-8", "X-Kept-At": new Date().toISOString() },
  }));
  // Oldest first: keys come in the order they were put.
  const keys = await cache.keys();
  await Promise.all(keys.slice(0, Math.max(0, keys.length - MAX_PAGES)).map((k) => cache.delete(k)));
}

async function offlineCopy(kept) {
  const at = new Date(kept.headers.get("X-Kept-At") || Date.now());
  // "2026-12-02 16:15", as times read everywhere in the app (here in the phone's zone).
  const when = new Intl.DateTimeFormat("sv-SE", {
    year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23",
  }).format(at);
  const note = `<p class="offline-note alert" role="status">Offline: showing what you last saw on this phone (${when}). `
    + "A cleaning signed now is kept here and sent when the connection returns.</p>";
  const html = (await kept.text()).replace(/<main[^>]*>/, (main) => main + note);
  return new Response(html, { headers: { "Content-Type": "text/html; charset=utf-8" } });
}

async function file(request) {
  const cache = await caches.open(FILES);
  const kept = await cache.match(request, { ignoreSearch: true });
  const fresh = fetch(request).then((res) => {
    if (res.ok) cache.put(request, res.clone());
    return res;
  });
  if (kept) {
    fresh.catch(() => {});
    return kept;
  }
  return fresh;
}

const NEVER_OPENED = `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Offline · CleanTrack</title></head>
<body style="font-family: system-ui, sans-serif; padding: 1rem; max-width: 36rem">
<h1>No connection</h1>
<p>This sticker's page was not opened on this phone before, so there is nothing to show offline.
Move to where there is signal, or scan it again once the connection returns.</p>
</body></html>`;

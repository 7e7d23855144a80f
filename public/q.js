// The sticker page's script (/q/…). The page itself is complete server HTML whose forms post by
// themselves; this adds what needs code on a phone, in a few kilobytes instead of the app's WASM:
//
// - the header's menu toggles in place;
// - photos are resized on the phone (longest side 1600 px, JPEG) and uploaded as soon as they are
//   chosen, with a progress bar and a retry; signing waits for them;
// - signing sends the form itself, stamped with the device's clock: a refusal is shown on the
//   form with nothing typed lost, success loads the page afresh;
// - without a connection (or with the session ended) the signed cleaning is kept on the phone
//   (IndexedDB) with its capture time, its one-time key and its photos, and sent when the
//   connection returns (on `online` and on the next page load). The server deduplicates on the
//   key, so a cleaning sent twice is still one log. A password or PIN is never stored: held in
//   memory while the page stays open, asked for again otherwise;
// - a service worker (/sw.js) keeps this page, its assets and recently opened sticker pages, so
//   a sticker scanned with no signal still opens;
// - the wet-contact timer: "start" writes the time of application (in the facility's zone) into
//   the form's time field and counts down from it; a time typed by hand counts the same way.
(() => {
  "use strict";

  const header = document.querySelector(".site-header");
  const toggle = header && header.querySelector(".menu-toggle");
  if (toggle) {
    toggle.addEventListener("click", (ev) => {
      ev.preventDefault();
      const open = header.classList.toggle("menu-open");
      toggle.setAttribute("aria-expanded", String(open));
      toggle.textContent = open ? "Close" : "Menu";
    });
  }

  if ("serviceWorker" in navigator) {
    // Read now: once registered, the worker claims this page at once, though it did not serve it.
    const servedByWorker = Boolean(navigator.serviceWorker.controller);
    navigator.serviceWorker.register("/sw.js").then(() => navigator.serviceWorker.ready).then((reg) => {
      // A first visit was not served through the worker: ask it to keep this page and its files.
      if (!servedByWorker && reg.active && !document.querySelector(".offline-note")) {
        const files = [...document.querySelectorAll('link[rel="stylesheet"], script[src]')].map((el) => el.href || el.src);
        reg.active.postMessage({ keep: { page: location.pathname, files } });
      }
    }).catch(() => {});
  }

  const uuid = () => {
    if (crypto.randomUUID) return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  };
  const el = (tag, attrs, ...children) => {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v);
    }
    node.append(...children.filter((c) => c !== null && c !== undefined));
    return node;
  };
  // "2026-12-02 16:15", as every time in the app reads, in the facility's zone when it is known.
  const clock = (iso, timeZone) => {
    const parts = { year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23" };
    try {
      return new Intl.DateTimeFormat("sv-SE", { ...parts, timeZone }).format(new Date(iso));
    } catch (_) {
      return new Intl.DateTimeFormat("sv-SE", parts).format(new Date(iso));
    }
  };

  // ---- Talking to the server ------------------------------------------------------------------

  // Server functions answer a refusal with the error as JSON: "NotFound", or {"Invalid": "…"}.
  const UNIT_ERRORS = {
    Unauthenticated: "Please sign in to continue.",
    NotFound: "Not found: the equipment may have been removed, or the sticker replaced.",
    Internal: "Something went wrong on our side. Please try again.",
    Unavailable: "CleanTrack is briefly unavailable. Nothing was saved; please try again in a moment.",
  };
  const messageOf = async (res) => {
    const text = await res.text().catch(() => "");
    try {
      const error = JSON.parse(text);
      if (typeof error === "string") return UNIT_ERRORS[error] || error;
      const value = Object.values(error)[0];
      if (typeof value === "string") return value;
    } catch (_) {
      if (text.trim() && text.length < 300) return text.trim();
    }
    return `The server answered ${res.status}.`;
  };
  // {ok, body} | {offline} (no answer, or the server is away: try later) | {status, message}.
  const post = async (path, body) => {
    let res;
    try {
      res = await fetch(path, { method: "POST", body, credentials: "same-origin", headers: { Accept: "application/json" } });
    } catch (_) {
      return { offline: true };
    }
    if (res.ok) return { ok: true, body: await res.text() };
    if (res.status >= 500) return { offline: true, message: await messageOf(res) };
    return { status: res.status, message: await messageOf(res) };
  };

  // ---- Photos -----------------------------------------------------------------------------------

  const MAX_SIDE = 1600;
  // A JPEG of at most 1600 px on its longest side; the original when it cannot be read as an
  // image here (the server's checks then say what is wrong with it).
  const resize = async (file) => {
    try {
      const bitmap = await createImageBitmap(file);
      const scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
      const canvas = document.createElement("canvas");
      canvas.width = Math.round(bitmap.width * scale);
      canvas.height = Math.round(bitmap.height * scale);
      canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      const blob = await new Promise((done) => canvas.toBlob(done, "image/jpeg", 0.85));
      return blob || file;
    } catch (_) {
      return file;
    }
  };
  const upload = (equipment, blob, name, onProgress) =>
    new Promise((done) => {
      const xhr = new XMLHttpRequest();
      const data = new FormData();
      data.append("photo", blob, name);
      xhr.open("POST", `/photos?equipment=${encodeURIComponent(equipment)}`);
      xhr.upload.onprogress = (e) => e.lengthComputable && onProgress && onProgress(Math.round((e.loaded / e.total) * 100));
      xhr.onload = () => {
        if (xhr.status === 201) return done({ ok: true, id: JSON.parse(xhr.responseText) });
        if (xhr.status >= 500) return done({ offline: true });
        const text = xhr.responseText.trim();
        done({ message: text && text.length < 300 ? text : "The upload failed; try again." });
      };
      xhr.onerror = () => done({ offline: true });
      xhr.send(data);
    });

  // ---- The queue on this phone ------------------------------------------------------------------

  const STORE = "queue";
  const openDb = () =>
    new Promise((done, fail) => {
      const req = indexedDB.open("cleantrack", 1);
      req.onupgradeneeded = () => req.result.createObjectStore(STORE, { keyPath: "key" });
      req.onsuccess = () => done(req.result);
      req.onerror = () => fail(req.error);
    });
  const withStore = async (mode, act) => {
    const db = await openDb();
    return new Promise((done, fail) => {
      const tx = db.transaction(STORE, mode);
      const req = act(tx.objectStore(STORE));
      tx.oncomplete = () => done(req && req.result);
      tx.onerror = () => fail(tx.error);
    });
  };
  const allEntries = () => withStore("readonly", (s) => s.getAll()).catch(() => []);
  const putEntry = (entry) => withStore("readwrite", (s) => s.put(entry));
  const dropEntry = (key) => withStore("readwrite", (s) => s.delete(key));

  const panel = document.getElementById("queue");
  const form = document.querySelector("form[data-log-form]");
  const signer = panel && panel.dataset.signer;
  // Passwords and PINs typed on this page, by entry key: never written anywhere.
  const secrets = new Map();
  const DAY = 24 * 3600 * 1000;

  const render = async () => {
    if (!panel) return;
    const entries = (await allEntries()).sort((a, b) => a.captured.localeCompare(b.captured));
    // A sent cleaning is listed for a day, then forgotten.
    for (const e of entries.filter((e) => e.state === "sent" && Date.now() - Date.parse(e.sentAt) > DAY)) await dropEntry(e.key);
    const shown = entries.filter((e) => !(e.state === "sent" && Date.now() - Date.parse(e.sentAt) > DAY));
    panel.hidden = shown.length === 0;
    const waiting = shown.filter((e) => e.state !== "sent");
    const rows = shown.map((e) => {
      const when = `signed ${clock(e.captured, e.zone)}`;
      const mine = signer && e.user === signer;
      let status;
      const here = form && form.elements.equipment_id.value === e.equipment;
      if (e.state === "sent") {
        status = el("span", { class: "queue__sent" }, `sent ${clock(e.sentAt, e.zone)}`,
          here ? el("span", {}, " · ", el("a", { href: location.pathname }, "show it in the history")) : null);
      }
      else if (!mine) status = el("span", {}, `waiting for ${e.signerName || "its signer"} to sign in on this phone`);
      else if (e.state === "refused") status = el("span", { class: "queue__refused", role: "alert" }, `not recorded: ${e.message}`);
      else if (e.state === "signin") status = el("span", {}, "waiting: ", el("a", { href: `/login?next=${encodeURIComponent(location.pathname)}` }, "sign in"), " to send it");
      else if (e.strict && !secrets.has(e.key)) status = el("span", {}, "waiting for your password or PIN");
      else status = el("span", {}, e.message ? `waiting to send (${e.message})` : "waiting to send");
      const actions = [];
      if (mine && e.state !== "sent") {
        const needsSecret = e.strict && !secrets.has(e.key);
        if (needsSecret || e.state === "refused") {
          const input = needsSecret || e.strict
            ? el("input", { type: "password", class: "signing-secret", autocomplete: "current-password", placeholder: "Password or PIN", "aria-label": `Your password or signing PIN, to send ${e.name}` })
            : null;
          const retry = async (ev) => {
            ev.preventDefault();
            if (input && !input.value) return input.focus();
            if (input) secrets.set(e.key, input.value);
            Object.assign(e, { state: "waiting", message: "" });
            await putEntry(e);
            flush();
          };
          actions.push(el("form", { class: "queue__sign", onsubmit: retry }, input,
            el("button", { type: "submit", class: "button button--small" }, e.state === "refused" ? "Send again" : "Send")));
        }
        if (e.state === "refused") {
          actions.push(el("button", { type: "button", class: "button button--small button--quiet", onclick: async () => { await dropEntry(e.key); render(); } }, "Discard"));
        }
      }
      return el("li", { "data-queue-entry": e.key, "data-state": e.state }, el("span", {}, el("strong", {}, e.name), ` · ${when}`), status, ...actions);
    });
    const title = waiting.length
      ? `${waiting.length === 1 ? "1 cleaning" : `${waiting.length} cleanings`} kept on this phone`
      : "Sent from this phone";
    const explained = waiting.length
      ? [el("p", { class: "muted" }, "Signed without a connection; each is sent once the connection returns, with the time it was signed here.")]
      : [];
    panel.replaceChildren(el("h2", {}, title), ...explained, el("ul", { class: "queue__list" }, ...rows));
  };

  let flushing = false;
  // Sends every waiting cleaning of the person signed in, oldest first.
  const flush = async () => {
    if (flushing || !signer) return render();
    flushing = true;
    try {
      for (const e of await allEntries()) {
        if (e.user !== signer || e.state === "sent" || e.state === "refused") continue;
        // This page was rendered for them signed in: the sign-in it waited for happened (kept
        // at once, so the list asks for the password instead of a sign-in already done).
        if (e.state === "signin") {
          e.state = "waiting";
          await putEntry(e);
        }
        if (e.strict && !secrets.has(e.key)) continue;
        // Photos taken offline go up first; their ids join the form.
        let offline = false;
        for (const photo of e.photos.filter((p) => !p.id)) {
          const result = await upload(e.equipment, photo.blob, photo.name);
          if (result.ok) photo.id = result.id;
          else if (result.offline) { offline = true; break; }
          else { e.state = "refused"; e.message = `${photo.name}: ${result.message}`; break; }
          await putEntry(e);
        }
        if (offline) break;
        if (e.state === "refused") { await putEntry(e); continue; }
        const body = new URLSearchParams(e.fields);
        const taken = e.fields.filter(([k]) => k.startsWith("photos[")).length;
        e.photos.forEach((p, i) => body.append(`photos[${taken + i}]`, p.id));
        body.set("performed_at", e.captured);
        body.set("entered_offline", "true");
        if (secrets.has(e.key)) body.set("password", secrets.get(e.key));
        const result = await post("/api/log_cleaning", body);
        if (result.ok) {
          Object.assign(e, { state: "sent", sentAt: new Date().toISOString(), photos: [], fields: [], message: "" });
          secrets.delete(e.key);
        } else if (result.offline) {
          e.message = result.message || "";
          await putEntry(e);
          break;
        } else if (result.status === 401) {
          e.state = "signin";
        } else {
          e.state = "refused";
          e.message = result.message;
          secrets.delete(e.key);
        }
        await putEntry(e);
      }
    } finally {
      flushing = false;
    }
    return render();
  };

  // ---- The log form -----------------------------------------------------------------------------

  if (form) {
    const equipment = form.elements.equipment_id.value;
    const button = form.querySelector('button[type="submit"]');
    const buttonText = button.textContent;
    const picker = document.getElementById("log-photos");
    const list = picker.querySelector(".photo-uploads");
    const fileInput = picker.querySelector('input[type="file"]');
    picker.hidden = false;
    // A page opened from the phone's cache carries the key of its first rendering: every signing
    // from here gets its own.
    if (document.querySelector(".offline-note")) form.elements.submission_key.value = uuid();

    // Each photo: {name, state: sending|done|failed|kept, percent, id, blob, message, item}.
    let photos = [];
    let sending = false;
    const inFlight = () => photos.filter((p) => p.state === "sending").length;
    const refreshButton = () => {
      const n = inFlight();
      button.disabled = sending || n > 0;
      button.textContent = sending ? "Signing…" : n === 1 ? "Waiting for 1 photo…" : n > 1 ? `Waiting for ${n} photos…` : buttonText;
    };
    const drawPhoto = (p) => {
      let content;
      if (p.state === "sending") content = [el("span", {}, p.name), el("progress", { max: "100", value: String(p.percent) }, `${p.percent}%`)];
      else if (p.state === "done") content = [el("img", { src: `/photos/${p.id}/thumb`, alt: "Uploaded photo", width: "80", height: "60" })];
      else if (p.state === "kept") content = [el("img", { src: URL.createObjectURL(p.blob), alt: "Photo kept on this phone", width: "80", height: "60" }), el("span", { class: "muted" }, " kept on this phone; sent with the cleaning")];
      else content = [el("span", {}, `${p.name}: ${p.message}`), el("button", { type: "button", class: "button button--small", onclick: () => send(p) }, "Retry")];
      const item = el("li", p.state === "failed" ? { class: "alert alert--error", role: "alert" } : {}, ...content);
      if (p.item) p.item.replaceWith(item); else list.append(item);
      p.item = item;
    };
    const send = async (p) => {
      Object.assign(p, { state: "sending", percent: 0 });
      drawPhoto(p);
      refreshButton();
      const result = await upload(equipment, p.blob, p.name, (percent) => { p.percent = percent; drawPhoto(p); });
      if (result.ok) Object.assign(p, { state: "done", id: result.id });
      else if (result.offline) p.state = "kept";
      else Object.assign(p, { state: "failed", message: result.message });
      drawPhoto(p);
      refreshButton();
    };
    fileInput.addEventListener("change", async () => {
      const files = [...fileInput.files];
      fileInput.value = "";
      for (const file of files) {
        const p = { name: file.name, state: "sending", percent: 0 };
        photos.push(p);
        drawPhoto(p);
        refreshButton();
        const resized = await resize(file);
        p.blob = resized === file ? file : new File([resized], file.name.replace(/\.\w+$/, "") + ".jpg", { type: "image/jpeg" });
        send(p);
      }
    });

    const errorSlot = el("p", { class: "alert alert--error", role: "alert", hidden: "" });
    button.before(errorSlot);
    const showError = (message) => {
      errorSlot.hidden = false;
      errorSlot.textContent = message;
      errorSlot.scrollIntoView({ block: "center" });
    };
    const keep = async (data, reason) => {
      const fields = [...data].filter(([k]) => k !== "password");
      const key = data.get("submission_key");
      await putEntry({
        key, user: signer, signerName: (document.querySelector('.site-nav a[href="/account"]') || {}).textContent || "",
        equipment, name: form.dataset.equipmentName, zone: panel.dataset.timeZone, captured: data.get("performed_at"),
        fields, strict: Boolean(form.elements.password),
        photos: photos.filter((p) => p.state === "kept").map((p) => ({ name: p.name, blob: p.blob })),
        state: reason === "signin" ? "signin" : "waiting", message: "",
      });
      if (data.get("password")) secrets.set(key, data.get("password"));
      // The form starts afresh for the next cleaning, with a new key.
      form.reset();
      form.elements.submission_key.value = uuid();
      photos = [];
      list.replaceChildren();
      errorSlot.hidden = true;
      await render();
      panel.scrollIntoView({ block: "start" });
    };

    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      // A photo the server refused stays listed with its reason; the cleaning is signed without it.
      if (sending || inFlight() > 0) return;
      const data = new URLSearchParams(new FormData(form));
      data.set("performed_at", new Date().toISOString());
      photos.filter((p) => p.state === "done").forEach((p, i) => data.append(`photos[${i}]`, p.id));
      sending = true;
      refreshButton();
      const kept = photos.some((p) => p.state === "kept");
      const result = kept || !navigator.onLine ? { offline: true } : await post(form.getAttribute("action"), data);
      sending = false;
      refreshButton();
      if (result.ok) {
        location.assign(`${location.pathname}?done=${encodeURIComponent(form.getAttribute("action"))}`);
      } else if (result.offline) {
        await keep(data, "offline");
      } else if (result.status === 401) {
        await keep(data, "signin");
      } else {
        showError(result.message);
      }
    });
  }

  // The contact timer. The time field is the truth (the server checks it against the signing
  // time), so the countdown is read from it on every tick: typed or set by "start", offline or not.
  const timer = document.querySelector("[data-contact-minutes]");
  if (timer) {
    const minutes = Number(timer.dataset.contactMinutes);
    const zone = timer.dataset.timeZone || undefined;
    const input = timer.querySelector('input[name="applied_at"]');
    const start = timer.querySelector("[data-start-contact]");
    const left = timer.querySelector(".contact-timer__left");
    const nowInZone = () => {
      const parts = new Intl.DateTimeFormat("en-GB", { timeZone: zone, hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" })
        .formatToParts(new Date());
      const get = (type) => parts.find((p) => p.type === type).value;
      return `${get("hour")}:${get("minute")}:${get("second")}`;
    };
    const seconds = (hms) => hms.split(":").map(Number).reduce((acc, n, i) => acc + n * [3600, 60, 1][i], 0);
    const tick = () => {
      if (!input.value) {
        left.hidden = true;
        return;
      }
      const elapsed = (seconds(nowInZone()) - seconds(input.value) + 86400) % 86400;
      const remaining = minutes * 60 - elapsed;
      left.hidden = false;
      left.classList.toggle("contact-timer__left--done", remaining <= 0);
      left.textContent = remaining > 0
        ? `${Math.floor(remaining / 60)}:${String(remaining % 60).padStart(2, "0")} of wet contact left`
        : "Contact time reached: you can sign.";
    };
    start.hidden = false;
    start.addEventListener("click", () => {
      input.value = nowInZone();
      tick();
    });
    input.addEventListener("input", tick);
    setInterval(tick, 1000);
    tick();
  }

  // Wired: the browser tests wait for this mark, as on the app's hydrated pages.
  if (header) header.classList.add("interactive");
  window.addEventListener("online", flush);
  flush();
})();

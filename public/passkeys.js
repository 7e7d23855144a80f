// Passkeys in the browser: the two WebAuthn calls (navigator.credentials.create / .get) between
// the server's two requests of each ceremony. Loaded by the sign-in, second-step and security
// pages; a button opts in with a data attribute:
//
// - [data-passkey-login]: sign in with a passkey, for the email typed in the form (or, on the
//   second step, for the person whose password was just accepted);
// - [data-passkey-register]: add a passkey under the name typed in [data-passkey-name].
//
// The server keeps the challenge in the session and checks everything (origin, relying party,
// signature, user verification); this file only converts between JSON (base64url) and the
// ArrayBuffers the browser API wants. Errors show in the nearest [data-passkey-error].
(() => {
  "use strict";

  const b64urlToBytes = (value) => {
    const base64 = value.replace(/-/g, "+").replace(/_/g, "/");
    const padded = base64 + "===".slice((base64.length + 3) % 4);
    return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
  };
  const bytesToB64url = (buffer) => {
    const bytes = new Uint8Array(buffer);
    let text = "";
    for (const b of bytes) text += String.fromCharCode(b);
    return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  };

  // A server function, answered in JSON; a refusal's message is thrown.
  const call = async (endpoint, fields) => {
    const response = await fetch(`/api/${endpoint}`, {
      method: "POST",
      headers: { accept: "application/json", "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(fields),
      credentials: "same-origin",
    });
    const text = await response.text();
    if (!response.ok) {
      let message = "Something went wrong. Try again.";
      try {
        // AppError as JSON: {"Invalid": "…"} for a refusal with words, "Unauthenticated" for none.
        const error = JSON.parse(text);
        if (error && typeof error === "object") message = Object.values(error)[0] || message;
        else if (error === "Unauthenticated") message = "Your session ended: sign in again.";
      } catch (_) {}
      throw new Error(message);
    }
    return text ? JSON.parse(text) : null;
  };

  const creationOptions = (json) => {
    const options = JSON.parse(json).publicKey;
    options.challenge = b64urlToBytes(options.challenge);
    options.user.id = b64urlToBytes(options.user.id);
    for (const c of options.excludeCredentials || []) c.id = b64urlToBytes(c.id);
    return { publicKey: options };
  };
  const requestOptions = (json) => {
    const options = JSON.parse(json).publicKey;
    options.challenge = b64urlToBytes(options.challenge);
    for (const c of options.allowCredentials || []) c.id = b64urlToBytes(c.id);
    return { publicKey: options };
  };

  // A credential as JSON (base64url for the bytes), with its ceremony's own response fields.
  const credentialJson = (credential, response) =>
    JSON.stringify({
      id: credential.id,
      rawId: bytesToB64url(credential.rawId),
      type: credential.type,
      extensions: credential.getClientExtensionResults(),
      response,
    });
  const registrationJson = (credential) =>
    credentialJson(credential, {
      attestationObject: bytesToB64url(credential.response.attestationObject),
      clientDataJSON: bytesToB64url(credential.response.clientDataJSON),
      transports: credential.response.getTransports ? credential.response.getTransports() : undefined,
    });
  const assertionJson = (credential) =>
    credentialJson(credential, {
      authenticatorData: bytesToB64url(credential.response.authenticatorData),
      clientDataJSON: bytesToB64url(credential.response.clientDataJSON),
      signature: bytesToB64url(credential.response.signature),
      userHandle: credential.response.userHandle ? bytesToB64url(credential.response.userHandle) : null,
    });

  const showError = (button, message) => {
    const scope = button.closest("form, section") || document;
    const box = scope.querySelector("[data-passkey-error]");
    if (box) {
      box.textContent = message;
      box.hidden = !message;
    }
  };
  // The browser's own refusal (the person cancelled, or no passkey here) in plain words.
  const explain = (error) =>
    error && error.name === "NotAllowedError"
      ? "No passkey was used (cancelled, or none for this site on this device)."
      : (error && error.message) || "Something went wrong. Try again.";

  const supported = !!(window.PublicKeyCredential && navigator.credentials);

  for (const button of document.querySelectorAll("[data-passkey-login]")) {
    button.hidden = !supported;
    button.addEventListener("click", async (ev) => {
      ev.preventDefault();
      showError(button, "");
      const form = button.closest("form");
      const field = (name) => (form && form.elements[name] ? form.elements[name].value : "");
      button.disabled = true;
      try {
        const options = await call("passkey_login_start", { email: field("email") });
        const credential = await navigator.credentials.get(requestOptions(options));
        const next = new URLSearchParams(location.search).get("next") || "/app";
        const shared = form && form.elements.shared_device && form.elements.shared_device.checked ? "on" : "";
        const fields = { credential: assertionJson(credential), next };
        if (shared) fields.shared_device = shared;
        await call("passkey_login_finish", fields);
        location.assign(next.startsWith("/") && !next.startsWith("//") ? next : "/app");
      } catch (error) {
        showError(button, explain(error));
        button.disabled = false;
      }
    });
  }

  for (const button of document.querySelectorAll("[data-passkey-register]")) {
    button.hidden = !supported;
    button.addEventListener("click", async (ev) => {
      ev.preventDefault();
      showError(button, "");
      const scope = button.closest("form, section") || document;
      const name = (scope.querySelector("[data-passkey-name]") || {}).value || "";
      if (!name.trim()) {
        showError(button, "Name the passkey first, e.g. \u201cWard phone\u201d.");
        return;
      }
      button.disabled = true;
      try {
        const options = await call("passkey_register_start", {});
        const credential = await navigator.credentials.create(creationOptions(options));
        await call("passkey_register_finish", { name, credential: registrationJson(credential) });
        location.reload();
      } catch (error) {
        showError(button, explain(error));
        button.disabled = false;
      }
    });
  }
})();

// A real OpenID Provider for the single sign-on tests: `oidc-provider` (an OpenID Foundation
// certified implementation) with its development login form, where any login is accepted and
// becomes the account (its email claim, verified). Started by the Rust tests
// (tests/api/auth/sso.rs) on a free port, one per test:
//
//   node end2end/oidc/provider.mjs            (PORT, CLIENTS as JSON: [{client_id, client_secret, redirect_uris}])
//
// It prints `ready <issuer>` when listening. For the refusal tests it also answers
// POST /__test/tamper with a JSON object of claims to change ({"aud": …, "nonce": …,
// "exp": …, "iss": …}, or {"foreign_key": true} to sign with a key not in its JWKS): the next
// ID token it issues is re-signed with those changes, as a misbehaving or hostile provider
// would send it. Nothing in the application is replaced: it talks to this server over HTTP.
import { createServer } from "node:http";
import { generateKeyPair, exportJWK, SignJWT, decodeJwt, decodeProtectedHeader } from "jose";
import Provider from "oidc-provider";

const port = Number(process.env.PORT || 0);
const clients = JSON.parse(process.env.CLIENTS || "[]");

const { privateKey } = await generateKeyPair("RS256", { extractable: true });
const signing = { ...(await exportJWK(privateKey)), kid: "provider-key", alg: "RS256", use: "sig" };
const foreign = (await generateKeyPair("RS256", { extractable: true })).privateKey;

let tamper = null;

const server = createServer();
server.listen(port, "127.0.0.1", async () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, {
    clients: clients.map((c) => ({
      ...c,
      grant_types: ["authorization_code"],
      response_types: ["code"],
      token_endpoint_auth_method: "client_secret_basic",
    })),
    jwks: { keys: [signing] },
    pkce: { required: () => true },
    claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"] },
    features: { devInteractions: { enabled: true } },
    // Every login is an account whose email is the login itself.
    findAccount: async (_ctx, id) => ({
      accountId: id,
      claims: async () => ({ sub: id, email: id, email_verified: true, name: id.split("@")[0] }),
    }),
    // The ID token carries the email, so one token is enough (no userinfo call).
    conformIdTokenClaims: false,
  });

  // The tamper switch: rewrite the next token response's ID token.
  provider.use(async (ctx, next) => {
    if (ctx.path === "/__test/tamper" && ctx.method === "POST") {
      const chunks = [];
      for await (const chunk of ctx.req) chunks.push(chunk);
      tamper = JSON.parse(Buffer.concat(chunks).toString() || "null");
      ctx.status = 204;
      return;
    }
    await next();
    if (ctx.path === "/token" && tamper && ctx.body && ctx.body.id_token) {
      const changes = tamper;
      tamper = null;
      const header = decodeProtectedHeader(ctx.body.id_token);
      const claims = { ...decodeJwt(ctx.body.id_token) };
      for (const [name, value] of Object.entries(changes)) {
        if (name !== "foreign_key") claims[name] = value;
      }
      ctx.body = {
        ...ctx.body,
        id_token: await new SignJWT(claims)
          .setProtectedHeader({ alg: "RS256", kid: header.kid, typ: header.typ })
          .sign(changes.foreign_key ? foreign : privateKey),
      };
    }
  });

  server.on("request", provider.callback());
  console.log(`ready ${issuer}`);
});

// A real OAuth 2 authorization server for Maillon's tests: panva's oidc-provider, on
// 127.0.0.1, standing in for a network's authorization endpoint (X, LinkedIn, Meta,
// Threads, a Mastodon server). Nothing here is Maillon's: the protocol is the provider's.
//
//   node provider.mjs '<json config>'
//
// The config: {"port": 0, "clients": [{client_id, client_secret, redirect_uris,
//              token_endpoint_auth_method}], "scopes": ["tweet.read", ...],
//              "accessTokenTTL": 3600, "pkceOptional": ["client id", ...],
//              "commaScopes": ["client id", ...]}
// Authorization code with PKCE (S256, required except for the clients in pkceOptional, as
// Meta's and LinkedIn's web sign-ins take none), refresh tokens that rotate at each use,
// revocation and introspection, and the provider's own development login and consent
// pages (any login and password). Prints one JSON line {"issuer": ...} once listening.
import { createServer } from "node:http";
import Provider from "oidc-provider";

const config = JSON.parse(process.argv[2] || "{}");
const port = config.port || 0;

const server = await new Promise((resolve) => {
  const probe = createServer();
  probe.listen(port, "127.0.0.1", () => resolve(probe));
});
const { port: bound } = server.address();
const issuer = `http://127.0.0.1:${bound}`;

const provider = new Provider(issuer, {
  clients: (config.clients || []).map((client) => ({
    grant_types: ["authorization_code", "refresh_token"],
    response_types: ["code"],
    token_endpoint_auth_method: "client_secret_basic",
    ...client,
  })),
  scopes: ["openid", "offline_access", ...(config.scopes || [])],
  pkce: { required: (ctx, client) => !(config.pkceOptional || []).includes(client.clientId) },
  features: {
    devInteractions: { enabled: true },
    revocation: { enabled: true },
    introspection: { enabled: true },
  },
  // Every grant gets a refresh token, which rotates at each use (as X's do).
  issueRefreshToken: async () => true,
  rotateRefreshToken: true,
  ttl: {
    AccessToken: config.accessTokenTTL || 3600,
    AuthorizationCode: 120,
    RefreshToken: 14 * 24 * 3600,
    Interaction: 600,
    Session: 3600,
    Grant: 14 * 24 * 3600,
  },
  // The networks' scopes are not OpenID claims: grant what the client asked for.
  loadExistingGrant: async (ctx) => {
    const grantId =
      ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    return undefined;
  },
  cookies: { keys: ["maillon-tests-only-cookie-key"] },
});
provider.proxy = false;

// Threads' consent page takes its scopes separated by commas (OAuth 2 says spaces): for
// the clients named in commaScopes, the authorization request's commas are read as spaces.
const commaScopes = config.commaScopes || [];
provider.use(async (ctx, next) => {
  if (ctx.path === "/auth" && commaScopes.includes(ctx.query.client_id) && ctx.query.scope) {
    ctx.query = { ...ctx.query, scope: String(ctx.query.scope).split(",").join(" ") };
  }
  await next();
});

server.on("request", provider.callback());
process.stdout.write(JSON.stringify({ issuer }) + "\n");

for (const signal of ["SIGTERM", "SIGINT"]) {
  process.on(signal, () => server.close(() => process.exit(0)));
}

// Runs one sample app against the local OpenID Provider and protected API.
//   node scripts/demo.mjs [--app=react|vue|plain]     (or DEMO_APP=...; default react)
//                         [--flow=implicit|code|code-refresh|hybrid|code-dpop]  (or DEMO_FLOW=...; default implicit)
// The flow: implicit ('id_token token', the package's default), code (the authorization code
// flow with PKCE), code-refresh (the same with refresh tokens), hybrid ('code id_token'),
// code-dpop (code-refresh with DPoP-bound tokens, which the API checks).
// Ports: PORT_APP (3000), PORT_PROVIDER (4000), PORT_API (4001). Expects pkg/ to be built.
import { buildSample, CLIENT_ID, DEMO_USER, FLOWS, startApi, startApp, startProvider } from '../www/servers.mjs';

const option = (name, env, fallback) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? process.env[env] ?? fallback;
const app = option('app', 'DEMO_APP', 'react');
if (!['react', 'vue', 'plain'].includes(app)) {
  console.error(`Unknown app "${app}": use --app=react, --app=vue or --app=plain`);
  process.exit(2);
}
const flow = option('flow', 'DEMO_FLOW', 'implicit');
if (!Object.hasOwn(FLOWS, flow)) {
  console.error(`Unknown flow "${flow}": use ${Object.keys(FLOWS).map((f) => `--flow=${f}`).join(', ')}`);
  process.exit(2);
}
const port = (name, fallback) => Number(process.env[name] ?? fallback);
const appPort = port('PORT_APP', 3000);
const appUrl = `http://localhost:${appPort}`;

await buildSample(app);
const provider = await startProvider({
  port: port('PORT_PROVIDER', 4000),
  redirectUris: [`${appUrl}/`],
  postLogoutRedirectUris: [`${appUrl}/`],
  ...(FLOWS[flow].useDpop ? { dpop: {} } : {}),
});
const api = await startApi({ port: port('PORT_API', 4001), issuer: provider.issuer, allowedOrigins: [appUrl], apiClient: provider.apiClient });
const web = await startApp({
  port: appPort,
  app,
  // The flow reaches the sample through its /config.json (responseType, useRefreshTokens, useDpop).
  config: { issuer: provider.issuer, clientId: CLIENT_ID, apiUrl: api.url, ...FLOWS[flow] },
});

console.log(`
  spa-login demo (${app} sample, ${flow} flow)

  Open      ${web.url}/
  Log in as ${DEMO_USER.login} / ${DEMO_USER.password}

  Provider  ${provider.issuer}  (discovery: ${provider.issuer}/.well-known/openid-configuration)
  API       ${api.url}/api/private
  Press Ctrl-C to stop.
`);

async function stop() {
  await Promise.all([web.close(), api.close(), provider.close()]);
  process.exit(0);
}
process.once('SIGINT', stop);
process.once('SIGTERM', stop);

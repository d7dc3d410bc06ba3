// Runs one sample app against the local OpenID Provider and protected API.
//   node scripts/demo.mjs [--app=react|vue|plain]     (or DEMO_APP=...; default react)
// Ports: PORT_APP (3000), PORT_PROVIDER (4000), PORT_API (4001). Expects pkg/ to be built.
import { buildSample, CLIENT_ID, DEMO_USER, startApi, startApp, startProvider } from '../www/servers.mjs';

const app = process.argv.find((a) => a.startsWith('--app='))?.slice('--app='.length) ?? process.env.DEMO_APP ?? 'react';
if (!['react', 'vue', 'plain'].includes(app)) {
  console.error(`Unknown app "${app}": use --app=react, --app=vue or --app=plain`);
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
});
const api = await startApi({ port: port('PORT_API', 4001), issuer: provider.issuer, allowedOrigins: [appUrl] });
const web = await startApp({
  port: appPort,
  app,
  config: { issuer: provider.issuer, clientId: CLIENT_ID, apiUrl: api.url },
});

console.log(`
  spa-login demo (${app} sample)

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

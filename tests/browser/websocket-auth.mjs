// A real browser opens the plugin socket the way the Flex plugins do,
// new WebSocket(url, token): a valid token reaches OPEN with the token as
// the negotiated protocol; a bad token never opens.
import { assert, runBrowserTest } from './lib.mjs';

await runBrowserTest('websocket authentication in Chromium', async ({ service, page }) => {
  await page.goto(service.url + '/');
  const attempt = (path, token) =>
    page.evaluate(
      ([path, token]) =>
        new Promise((resolve) => {
          const ws = new WebSocket(`ws://${location.host}${path}`, token);
          const timer = setTimeout(() => resolve({ state: 'timeout' }), 20000);
          ws.onopen = () => {
            clearTimeout(timer);
            resolve({ state: 'open', protocol: ws.protocol });
            ws.close();
          };
          ws.onerror = () => {
            clearTimeout(timer);
            resolve({ state: 'error', readyState: ws.readyState });
          };
        }),
      [path, token],
    );

  for (const [path, token] of [['/websocket/outboundDial', service.agentToken],
                               ['/websocket/realtimeStats', service.supervisorToken]]) {
    const good = await attempt(path, token);
    assert(good.state === 'open', `${path}: valid token did not open: ${JSON.stringify(good)}`);
    assert(good.protocol === token, `${path}: protocol is not the token`);
  }
  const bad = await attempt('/websocket/outboundDial', 'not-a-valid-token');
  assert(bad.state === 'error', `bad token: expected an error, got ${JSON.stringify(bad)}`);
});

// The dev-mode stats dashboard in a real Chromium: served by the service
// itself, fed by /websocket/realtimeStats (opened like the plugin does), it
// shows every queue x channel with tasks, agents, today's counts and SLA,
// and its numbers move as the emulated contact centre does.
import { assert, runBrowserTest } from './lib.mjs';

await runBrowserTest('stats dashboard shows live numbers in Chromium', async ({ service, page }) => {
  const problems = [];
  page.on('pageerror', (e) => problems.push('page error: ' + e.message));
  page.on('console', (m) => { if (m.type() === 'error') problems.push('console: ' + m.text()); });

  await page.goto(`${service.url}/dashboard#token=${encodeURIComponent(service.supervisorToken)}`);
  await page.waitForSelector('#connection[data-state="open"]', { timeout: 30000 });
  await page.waitForFunction(() => Number(document.getElementById('updated').dataset.snapshots) >= 1,
    null, { timeout: 60000 });

  // Every queue x channel (dev mode: 5 queues; all, voice, chat, video).
  const table = await page.evaluate(() => {
    const rows = [...document.querySelectorAll('#rows tr')];
    return {
      queues: Number(document.getElementById('queue-count').textContent),
      rows: rows.map((r) => ({ queue: r.dataset.queue, channel: r.dataset.channel })),
      sla: [...document.querySelectorAll('#head th.sla')].map((th) => th.textContent),
      headers: [...document.querySelectorAll('#head th')].map((th) => th.textContent),
    };
  });
  assert(table.queues === 5, `5 queues expected, got ${table.queues}`);
  assert(table.rows.length === 20, `20 rows expected, got ${table.rows.length}`);
  for (const channel of ['all', 'voice', 'chat', 'video']) {
    assert(table.rows.filter((r) => r.channel === channel).length === 5, `channel ${channel} rows`);
  }
  assert(JSON.stringify(table.sla) === JSON.stringify(['≤ 30 s', '≤ 60 s', '≤ 120 s']),
    `SLA columns: ${JSON.stringify(table.sla)}`);
  for (const h of ['Waiting', 'Oldest', 'Available', 'By activity', 'Created', 'Completed',
    'Abandoned', 'Moved', 'Avg accept', 'Avg abandon']) {
    assert(table.headers.includes(h), `header ${h} missing`);
  }

  // Today's numbers arrive (the plugin shows NO DATA until then) and are numbers.
  await page.waitForFunction(() => document.querySelectorAll('#rows td[data-field="tEnter"]').length === 20,
    null, { timeout: 60000 });
  const today = await page.evaluate(() =>
    [...document.querySelectorAll('#rows tr[data-channel="all"] td[data-field="tEnter"]')]
      .map((td) => Number(td.textContent)));
  assert(today.every((n) => Number.isInteger(n) && n >= 0), `created today: ${today}`);
  assert(today.some((n) => n > 0), `the warm-up created tasks today: ${today}`);
  const agents = await page.evaluate(() =>
    document.querySelector('#rows td[data-field="activities"]').textContent);
  assert(/Available \d+/.test(agents), `agents by activity: ${agents}`);

  // Live: the table changes without reloading the page.
  const snapshot = () => page.evaluate(() => document.getElementById('rows').innerText);
  const before = await snapshot();
  const count = await page.evaluate(() => Number(document.getElementById('updated').dataset.snapshots));
  await page.waitForFunction((n) => Number(document.getElementById('updated').dataset.snapshots) >= n + 2,
    count, { timeout: 90000 });
  await page.waitForFunction((text) => document.getElementById('rows').innerText !== text,
    before, { timeout: 90000 });
  const after = await snapshot();
  assert(after !== before, 'numbers did not move');
  assert(problems.length === 0, problems.join('\n'));
}, { STATS_REALTIME_INTERVAL: '1', STATS_CUMULATIVE_INTERVAL: '2' });

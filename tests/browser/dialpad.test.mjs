// Chromium drives the dev-mode dialpad page (/dialpad) through a full call:
// queued -> ringing -> in-progress, hang up -> completed, against
// `flex-backend --dev` and its embedded Twilio emulator.
import { assert, runBrowserTest } from './lib.mjs';

await runBrowserTest('dialpad page places, follows and hangs up a call', async ({ service, page }) => {
  const problems = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
  });
  const timeout = 60_000;

  await page.goto(`${service.url}/dialpad#token=${service.agentToken}`);
  await page.waitForSelector('#connection[data-state="open"]', { timeout });
  // Record every status the page shows, however briefly.
  await page.evaluate(() => {
    window.seenStatuses = [];
    const status = document.getElementById('status');
    new MutationObserver(() => window.seenStatuses.push(status.dataset.status))
      .observe(status, { attributes: true, attributeFilter: ['data-status'] });
  });

  await page.fill('#to', '');
  for (const key of '+15551230000') await page.click(`#keypad button[data-key="${key}"]`);
  assert(await page.inputValue('#to') === '+15551230000', 'the keypad did not type the number');
  await page.click('#call');
  await page.waitForSelector('#status[data-status="in-progress"]', { timeout });
  const sid = (await page.textContent('#call-sid')).trim();
  assert(/^CA[0-9a-f]{32}$/i.test(sid), `no call SID shown: ${sid}`);
  await page.click('#hangup');
  await page.waitForSelector('#status[data-status="completed"]', { timeout });

  const seen = (await page.evaluate(() => window.seenStatuses)).filter((s, i, a) => s !== a[i - 1]);
  const expected = ['placing', 'queued', 'ringing', 'in-progress', 'completed'];
  assert(JSON.stringify(seen) === JSON.stringify(expected),
    `statuses ${JSON.stringify(seen)}, expected ${JSON.stringify(expected)}`);
  // The raw frames are the plugin protocol, for this call only.
  const frames = await page.$$eval('#log li', (items) => items.map((li) => JSON.parse(li.textContent)));
  const updates = frames.filter((f) => f.messageType === 'callUpdate');
  assert(updates.every((f) => f.callSid === sid), `updates of another call: ${JSON.stringify(frames)}`);
  assert(JSON.stringify(updates.map((f) => f.callStatus)) === JSON.stringify(expected.slice(1)),
    `frames ${JSON.stringify(frames)}`);
  assert(await page.isEnabled('#call'), 'the page did not reset after the call');
  assert(problems.length === 0, problems.join('\n'));
  console.log(`call ${sid}: ${seen.join(' -> ')}`);
});

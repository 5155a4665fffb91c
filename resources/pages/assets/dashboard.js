// The dev-mode dashboard: renders the stats socket's arrays the way the Flex
// realtime stats plugin does (queues x channels, tasks by status, oldest
// task, agents by activity, today's counts and averages, SLA per threshold).
'use strict';
(() => {
  const $ = (id) => document.getElementById(id);
  const token = FlexPages.tokenFromHash();
  FlexPages.rememberToken(token);
  let latest = [];
  let snapshots = 0;
  let previousCells = new Map();
  let retryMs = 1000;

  const channelsOf = (queue) => Object.keys(queue)
    .filter((k) => k.startsWith('realTimeStats_'))
    .map((k) => k.slice('realTimeStats_'.length))
    .sort((a, b) => (a === 'all' ? -1 : b === 'all' ? 1 : a.localeCompare(b)));

  const seconds = (s) => {
    if (typeof s !== 'number' || !isFinite(s)) return '–';
    s = Math.round(s);
    if (s < 60) return s + ' s';
    const m = Math.floor(s / 60);
    if (m < 60) return m + ' m ' + String(s % 60).padStart(2, '0') + ' s';
    return Math.floor(m / 60) + ' h ' + String(m % 60).padStart(2, '0') + ' m';
  };

  // As the plugin computes it: accepted below the threshold over
  // (accepted + abandoned above the threshold).
  const sla = (cumulative, threshold) => {
    const split = cumulative.splitByWaitTime && cumulative.splitByWaitTime[threshold];
    if (!split) return null;
    const acceptedBelow = split.below.reservations_accepted;
    const accepted = split.below.reservations_accepted + split.above.reservations_accepted;
    const abandonedAbove = split.above.tasks_canceled;
    const denominator = accepted + abandonedAbove;
    return denominator > 0 ? Math.round((100 * acceptedBelow) / denominator) : null;
  };

  const thresholdsOf = (queues) => {
    for (const q of queues) {
      for (const key of Object.keys(q)) {
        if (key.startsWith('cumulativeStats_') && q[key].splitByWaitTime) {
          return Object.keys(q[key].splitByWaitTime).map(Number).sort((a, b) => a - b);
        }
      }
    }
    return [];
  };

  function cell(row, text, field, className) {
    const td = document.createElement('td');
    td.textContent = text;
    if (className) td.className = className;
    if (field) {
      td.dataset.field = field;
      const key = row.dataset.queue + '|' + row.dataset.channel + '|' + field;
      const before = previousCells.get(key);
      if (before !== undefined && before !== text) td.classList.add('changed');
      nextCells.set(key, text);
    }
    row.appendChild(td);
    return td;
  }
  let nextCells = new Map();

  function renderHead(thresholds) {
    const head = $('head');
    for (const th of head.querySelectorAll('th.sla')) th.remove();
    for (const t of thresholds) {
      const th = document.createElement('th');
      th.className = 'sla';
      th.textContent = '≤ ' + t + ' s';
      head.appendChild(th);
    }
    $('sla-group').colSpan = Math.max(1, thresholds.length);
    $('sla-group').hidden = thresholds.length === 0;
  }

  function updateFilter(channels) {
    const select = $('channel-filter');
    const known = new Set([...select.options].map((o) => o.value));
    for (const c of channels) {
      if (!known.has(c)) select.add(new Option(c, c));
    }
  }

  function render() {
    const queues = latest;
    const filter = $('channel-filter').value;
    const thresholds = thresholdsOf(queues);
    renderHead(thresholds);
    const body = document.createElement('tbody');
    body.id = 'rows';
    nextCells = new Map();
    const problems = new Set();
    const allChannels = new Set();
    for (const q of queues) {
      if (q.realTimeStatsMessage) problems.add(q.realTimeStatsMessage);
      if (q.cumulativeStatsMessage) problems.add(q.cumulativeStatsMessage);
      const channels = channelsOf(q);
      channels.forEach((c) => allChannels.add(c));
      let first = true;
      for (const channel of channels) {
        if (filter && channel !== filter) continue;
        const rt = q['realTimeStats_' + channel];
        const cu = q['cumulativeStats_' + channel];
        const row = document.createElement('tr');
        row.dataset.queue = q.sid;
        row.dataset.channel = channel;
        if (first) row.className = 'first-of-queue';
        cell(row, first ? q.friendlyName : '', null, 'queue');
        first = false;
        cell(row, channel, null, 'channel');
        const status = rt.tasksByStatus || {};
        const stale = q.realTimeStatsMessage ? 'stale' : '';
        cell(row, String(status.pending ?? 0), 'pending', stale);
        cell(row, String(status.reserved ?? 0), 'reserved', stale);
        cell(row, String(status.assigned ?? 0), 'assigned', stale);
        cell(row, String(status.wrapping ?? 0), 'wrapping', stale);
        cell(row, seconds(rt.oldestTask), 'oldestTask', stale);
        cell(row, rt.availableWorkers + ' / ' + rt.eligibleWorkers, 'availableWorkers', stale);
        cell(row, (rt.activityStatistics || [])
          .map((a) => a.friendly_name + ' ' + a.workers).join(' · '), 'activities',
          'activities ' + stale);
        if (!cu) {
          const td = cell(row, 'NO DATA', 'cumulative', 'nodata');
          td.colSpan = 6 + thresholds.length;
        } else {
          const cstale = q.cumulativeStatsMessage ? 'stale' : '';
          cell(row, String(cu.tEnter), 'tEnter', cstale);
          cell(row, String(cu.tCompl), 'tCompl', cstale);
          cell(row, String(cu.tCanc), 'tCanc', cstale);
          cell(row, String(cu.tMoved), 'tMoved', cstale);
          cell(row, seconds(cu.waitUntilAccept.avg), 'avgAccept', cstale);
          cell(row, seconds(cu.waitUntilCancel.avg), 'avgAbandon', cstale);
          for (const t of thresholds) {
            const value = sla(cu, t);
            cell(row, value === null ? '–' : value + ' %', 'sla' + t,
              (value === null ? '' : value >= 80 ? 'sla-good' : 'sla-bad') + ' ' + cstale);
          }
        }
        body.appendChild(row);
      }
    }
    if (!body.children.length) {
      const row = document.createElement('tr');
      const td = cell(row, queues.length ? 'No queue has this channel.' : 'No queues yet.', null, 'empty');
      td.colSpan = 15 + thresholds.length;
      body.appendChild(row);
    }
    $('rows').replaceWith(body);
    previousCells = nextCells;
    updateFilter([...allChannels]);
    $('queue-count').textContent = String(queues.length);
    const problem = $('problem');
    problem.hidden = problems.size === 0;
    problem.textContent = [...problems].join(' ');
  }

  function connect() {
    const state = $('connection');
    if (!token) {
      state.dataset.state = 'error';
      state.textContent = 'no token: open this page with #token=<Flex token>';
      return;
    }
    const ws = FlexPages.open('/websocket/realtimeStats', token);
    ws.onopen = () => {
      retryMs = 1000;
      state.dataset.state = 'open';
      state.textContent = 'open';
    };
    ws.onmessage = (event) => {
      let data;
      try {
        data = JSON.parse(event.data);
      } catch (e) {
        return; // echoes and other text
      }
      if (!Array.isArray(data)) return;
      latest = data;
      snapshots += 1;
      const updated = $('updated');
      updated.dataset.snapshots = String(snapshots);
      updated.textContent = new Date().toLocaleTimeString();
      render();
    };
    ws.onclose = (event) => {
      state.dataset.state = 'closed';
      state.textContent = 'closed (' + event.code + '), reconnecting…';
      setTimeout(connect, retryMs);
      retryMs = Math.min(retryMs * 2, 30000);
    };
  }

  $('channel-filter').addEventListener('change', render);
  connect();
})();

// The dev-mode dialpad: the outbound dialpad plugin's protocol, nothing more
// (call/hangup out; callUpdate/error in).
'use strict';
(() => {
  const $ = (id) => document.getElementById(id);
  const terminal = new Set(['completed', 'busy', 'failed', 'no-answer', 'canceled']);
  const token = FlexPages.tokenFromHash();
  FlexPages.rememberToken(token);
  let socket = null;
  let callSid = null;
  let placing = false;
  let retryDelay = 1000;

  function log(text) {
    const item = document.createElement('li');
    item.textContent = text;
    $('log').appendChild(item);
    $('log').scrollTop = $('log').scrollHeight;
  }

  function render(status) {
    const open = socket && socket.readyState === WebSocket.OPEN;
    $('status').textContent = status;
    $('status').dataset.status = status;
    $('call-sid').textContent = callSid || 'none';
    $('call').disabled = !open || placing || callSid !== null;
    $('hangup').disabled = !open || callSid === null;
  }

  function showError(message) {
    $('error').textContent = message;
    $('error').hidden = !message;
  }

  function connect() {
    if (!token) {
      $('connection').textContent = 'no token: open this page from the link the service printed';
      $('connection').dataset.state = 'closed';
      return;
    }
    socket = FlexPages.open('/websocket/outboundDial', token);
    socket.addEventListener('open', () => {
      retryDelay = 1000;
      $('connection').textContent = 'open';
      $('connection').dataset.state = 'open';
      render($('status').dataset.status);
    });
    socket.addEventListener('close', () => {
      $('connection').textContent = 'closed, reconnecting…';
      $('connection').dataset.state = 'closed';
      render($('status').dataset.status);
      setTimeout(connect, retryDelay);
      retryDelay = Math.min(retryDelay * 2, 30000);
    });
    socket.addEventListener('message', (event) => {
      log(event.data);
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        return; // the plugin ignores frames that are not JSON
      }
      if (message.messageType === 'callUpdate') {
        // Another tab of the same agent may have placed it: follow it too.
        if (callSid === null && !terminal.has(message.callStatus)) callSid = message.callSid;
        if (message.callSid !== callSid) return;
        placing = false;
        if (terminal.has(message.callStatus)) callSid = null;
        showError('');
        render(message.callStatus);
      } else if (message.messageType === 'error') {
        placing = false;
        showError(message.message);
        render(callSid ? $('status').dataset.status : 'idle');
      }
    });
  }

  $('dial-form').addEventListener('submit', (event) => {
    event.preventDefault();
    placing = true;
    showError('');
    socket.send(JSON.stringify({
      method: 'call',
      to: $('to').value.trim(),
      from: $('from').value.trim(),
      workerContactUri: $('worker').value.trim(),
    }));
    render('placing');
  });
  $('hangup').addEventListener('click', () => {
    if (callSid) socket.send(JSON.stringify({ method: 'hangup', callSid }));
  });
  $('keypad').addEventListener('click', (event) => {
    const key = event.target.dataset && event.target.dataset.key;
    if (!key) return;
    const to = $('to');
    to.value = key === 'back' ? to.value.slice(0, -1) : to.value + key;
  });

  render('idle');
  connect();
})();

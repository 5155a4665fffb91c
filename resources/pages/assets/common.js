// Shared by the built-in pages: the token and the socket URL.
'use strict';
const FlexPages = {
  // The token travels in the fragment, which browsers never send to servers.
  tokenFromHash() {
    const params = new URLSearchParams(location.hash.replace(/^#/, ''));
    return params.get('token') || sessionStorage.getItem('flexToken') || '';
  },
  rememberToken(token) {
    if (token) sessionStorage.setItem('flexToken', token);
  },
  socketUrl(path) {
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    return scheme + '//' + location.host + path;
  },
  // Opens the socket the way the Flex plugins do: the token is the only subprotocol.
  open(path, token) {
    return new WebSocket(FlexPages.socketUrl(path), token);
  },
};

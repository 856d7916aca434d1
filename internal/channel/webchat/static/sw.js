// The web chat's service worker. It keeps the page's own files (styles,
// script, icon, manifest) for offline starts and quick loads, and leaves
// everything else to the network: the chat pages and the API are never
// cached, so no message or session ever lands in a cache.
'use strict';

const VERSION = '__VERSION__';
const CACHE = 'staffbot-chat-' + VERSION;
const SHELL = [
  '/chat/static/chat.css?v=' + VERSION,
  '/chat/static/chat.js?v=' + VERSION,
  '/chat/icon.svg',
  '/chat/manifest.webmanifest',
];

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches.open(CACHE)
      .then((cache) => cache.addAll(SHELL))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys
        .filter((k) => k.startsWith('staffbot-chat-') && k !== CACHE)
        .map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener('fetch', (event) => {
  const req = event.request;
  if (req.method !== 'GET') {
    return;
  }
  const url = new URL(req.url);
  if (url.origin !== self.location.origin || !SHELL.includes(url.pathname + url.search)) {
    return;
  }
  event.respondWith(caches.match(req).then((hit) => hit || fetch(req)));
});

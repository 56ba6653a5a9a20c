// Recoverly's service worker (docs/push-alerts.md). The owner app stays usable on a bad connection: its pages come from
// the network first and from the last copy in the cache when that fails. Push alerts become notifications that open
// the conversation, with a "Call back" button. Cached pages belong to the signed-in owner: signing out (or a session
// that ended) empties the cache, so the next person on this browser sees nothing of the account.
const CACHE = 'recoverly-app-v1';
const SHELL = ['/css/site.css', '/css/app.css', '/icons/icon-192.png'];

self.addEventListener('install', event => {
  event.waitUntil(caches.open(CACHE).then(cache => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', event => {
  event.waitUntil(caches.keys()
    .then(names => Promise.all(names.filter(name => name !== CACHE).map(name => caches.delete(name))))
    .then(() => self.clients.claim()));
});

const isAppPage = url => url.pathname === '/app' || url.pathname.startsWith('/app/');

self.addEventListener('fetch', event => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  const page = request.mode === 'navigate' && isAppPage(url);
  const asset = /^\/(css|js|icons)\//.test(url.pathname);
  if (!page && !asset) return;
  event.respondWith(networkFirst(request, page));
});

async function networkFirst(request, page) {
  const cache = await caches.open(CACHE);
  try {
    const response = await fetch(request);
    if (page && response.type === 'opaqueredirect') {
      // An owner page that redirects means nobody is signed in here any more: forget their pages.
      await caches.delete(CACHE);
    } else if (response.ok && response.type === 'basic') {
      await cache.put(request, response.clone());
    }
    return response;
  } catch (error) {
    const cached = await cache.match(request, { ignoreSearch: !page });
    if (cached) return cached;
    if (page) return (await cache.match('/app')) || offline();
    throw error;
  }
}

function offline() {
  const html = '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">'
    + '<title>Offline · Recoverly</title><link rel="stylesheet" href="/css/site.css"></head><body><main><div class="card narrow">'
    + '<h1>You\'re offline</h1><p>Recoverly will show your inbox again as soon as this phone has a connection.</p>'
    + '<p><a href="/app">Try again</a></p></div></main></body></html>';
  return new Response(html, { status: 503, headers: { 'Content-Type': 'text/html; charset=utf-8' } });
}

self.addEventListener('push', event => {
  let data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch {
    data = {};
  }
  const options = {
    body: data.body || '',
    icon: '/icons/icon-192.png',
    badge: '/icons/icon-192.png',
    data: { url: data.url || '/app', tel: data.tel || null },
  };
  if (data.tag) {
    options.tag = data.tag;
    options.renotify = true;
  }
  if (data.tel) options.actions = [{ action: 'call', title: 'Call back' }];
  event.waitUntil(self.registration.showNotification(data.title || 'Recoverly', options));
});

self.addEventListener('notificationclick', event => {
  event.notification.close();
  const { url, tel } = event.notification.data || {};
  const conversation = new URL(url || '/app', self.location.origin).href;
  event.waitUntil(event.action === 'call' && tel ? callBack(tel, conversation) : show(conversation));
});

// "Call back": the phone's dialer; where a browser won't open tel: from a notification, the conversation with its Call button ready.
async function callBack(tel, conversation) {
  try {
    await self.clients.openWindow('tel:' + tel);
  } catch {
    await show(conversation + '#call');
  }
}

async function show(target) {
  const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  const open = windows.find(w => new URL(w.url).pathname === new URL(target).pathname);
  if (open) return open.focus();
  return self.clients.openWindow(target);
}

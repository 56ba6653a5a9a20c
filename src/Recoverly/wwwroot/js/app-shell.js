// Every signed-in page: registers the service worker (the inbox on a bad connection, push alerts), and at sign-out
// forgets this browser's cached pages and push subscription before the form goes, so whoever signs in here next
// gets nothing of this account (docs/push-alerts.md). The server also clears site data in its answer.
(() => {
  if (!('serviceWorker' in navigator)) return;
  navigator.serviceWorker.register('/sw.js', { scope: '/' }).catch(() => { /* the app works without it */ });
  for (const form of document.querySelectorAll('form[data-logout]')) {
    let ready = false;
    form.addEventListener('submit', async event => {
      if (ready) return;
      event.preventDefault();
      try {
        const registration = await navigator.serviceWorker.getRegistration('/');
        const subscription = registration ? await registration.pushManager.getSubscription() : null;
        if (subscription) {
          form.querySelector('input[name="pushEndpoint"]').value = subscription.endpoint;
          await subscription.unsubscribe();
        }
        if ('caches' in window) for (const name of await caches.keys()) await caches.delete(name);
      } catch {
        // Signing out must never fail here: the server forgets the device and clears site data anyway.
      }
      ready = true;
      form.submit();
    });
  }
})();

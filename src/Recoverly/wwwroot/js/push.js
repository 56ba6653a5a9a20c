// Settings (/app/settings): "Turn on phone alerts". The browser asks for notification permission only here, after the
// owner taps the button (never on page load); then this browser subscribes with the server's public key and the
// subscription is posted to Settings, which checks it and lists the device.
(() => {
  const box = document.querySelector('[data-push]');
  if (!box) return;
  const button = box.querySelector('[data-push-on]');
  const status = box.querySelector('[data-push-status]');
  const say = text => { status.textContent = text; status.hidden = false; };
  if (!('serviceWorker' in navigator && 'PushManager' in window && 'Notification' in window)) {
    button.disabled = true;
    say("This browser can't show phone alerts. On an iPhone, add Recoverly to your home screen first and open it from there.");
    return;
  }
  const base64 = box.dataset.key.replace(/-/g, '+').replace(/_/g, '/');
  const key = Uint8Array.from(atob(base64), c => c.charCodeAt(0));
  const token = box.querySelector('input[name="__RequestVerificationToken"]').value;

  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      const permission = await Notification.requestPermission();
      if (permission !== 'granted') {
        say('Notifications are blocked for Recoverly in this browser. Allow them in the browser\'s site settings, then tap again.');
        return;
      }
      await navigator.serviceWorker.register('/sw.js', { scope: '/' });
      const registration = await navigator.serviceWorker.ready;
      const subscription = await registration.pushManager.getSubscription()
        || await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
      const json = subscription.toJSON();
      const body = new URLSearchParams({ endpoint: json.endpoint, p256dh: json.keys.p256dh, auth: json.keys.auth, __RequestVerificationToken: token });
      const response = await fetch(box.dataset.subscribe, { method: 'POST', body, credentials: 'same-origin' });
      const answer = await response.json();
      if (!response.ok) {
        say(answer.error);
        return;
      }
      location.assign('/app/settings?saved=push-on#push');
    } catch (error) {
      say('Phone alerts could not be turned on in this browser (' + error.message + '). Text alerts still work.');
    } finally {
      button.disabled = false;
    }
  });
})();

// Onboarding "verify" step: poll the status endpoint every 2 s and turn green when the test call arrives.
(() => {
  const box = document.getElementById('verify-status');
  if (!box || box.dataset.verified === 'true') return;
  const started = Date.now();
  const giveUpAfter = 30 * 60 * 1000;
  const timer = setInterval(async () => {
    if (Date.now() - started > 60 * 1000) document.getElementById('verify-slow')?.removeAttribute('hidden');
    if (Date.now() - started > giveUpAfter) { clearInterval(timer); return; }
    try {
      const response = await fetch(box.dataset.statusUrl, { headers: { Accept: 'application/json' }, credentials: 'same-origin', cache: 'no-store' });
      if (!response.ok || response.redirected) return;
      const status = await response.json();
      if (!status.verified) return;
      clearInterval(timer);
      box.dataset.verified = 'true';
      document.getElementById('verify-waiting')?.setAttribute('hidden', '');
      document.getElementById('verify-done')?.removeAttribute('hidden');
      document.getElementById('verify-slow')?.setAttribute('hidden', '');
      document.getElementById('verify-skip')?.setAttribute('hidden', '');
    } catch {
      // Network blip: the next tick tries again.
    }
  }, 2000);
})();

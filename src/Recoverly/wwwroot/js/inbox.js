// Inbox (/app): new calls and replies appear without a reload — the first page re-fetches its rows every few seconds.
(() => {
  const list = document.getElementById('inbox');
  if (!list || !list.dataset.poll) return;
  const every = Number(list.dataset.pollEvery) || 4000;
  let last = null;
  const poll = async () => {
    try {
      const response = await fetch(list.dataset.poll, { credentials: 'same-origin', cache: 'no-store' });
      if (response.ok && !response.redirected) {
        const html = await response.text();
        if (html !== last) list.innerHTML = html;
        last = html;
      }
    } catch {
      // Offline for a moment: the next round tries again.
    }
    setTimeout(poll, every);
  };
  setTimeout(poll, every);
})();

// Conversation (/app/contacts/{id}): a quick reply's button puts its text into the reply box where the cursor is.
// It never sends: the owner reads it, edits it if they like, and presses Send.
(() => {
  const box = document.querySelector('[data-quick-replies]');
  const area = document.getElementById('reply-body');
  if (!box || !area) return;
  box.hidden = false;
  box.addEventListener('click', event => {
    const button = event.target.closest('button[data-insert]');
    if (!button) return;
    const text = button.dataset.insert;
    const start = area.selectionStart ?? area.value.length;
    const end = area.selectionEnd ?? start;
    const before = area.value.slice(0, start);
    const spacer = before.length > 0 && !/\s$/.test(before) ? ' ' : '';
    area.setRangeText(spacer + text, start, end, 'end');
    area.focus();
    area.dispatchEvent(new Event('input', { bubbles: true }));
  });
})();

// A push alert's "Call back", in a browser that won't dial from a notification, opens the conversation at #call: the Call button is ready.
(() => {
  if (location.hash !== '#call') return;
  const call = document.querySelector('a[href^="tel:"]');
  if (call) call.focus();
})();

// The simulator page (/simulator): call a business from the caller's phone, text from either phone, and show both threads.
(() => {
  const $ = id => document.getElementById(id);
  let businesses = [];
  const current = () => businesses.find(b => String(b.id) === $('business').value);
  const recoverlyNumber = () => current()?.numbers[0];
  const callerNumber = () => $('caller').value.trim();

  async function post(url, body) {
    const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    const data = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error(data.error || ('HTTP ' + res.status));
    return data;
  }

  function render(threadEl, messages, ownNumber) {
    const atBottom = threadEl.scrollHeight - threadEl.scrollTop - threadEl.clientHeight < 40;
    threadEl.replaceChildren(...messages.map(m => {
      const div = document.createElement('div');
      div.className = 'bubble ' + (m.from === ownNumber ? 'me' : 'them');
      div.textContent = m.body;
      div.title = (m.from === ownNumber ? 'sent' : 'from ' + m.from) + ' · ' + m.status;
      return div;
    }));
    if (atBottom) threadEl.scrollTop = threadEl.scrollHeight;
  }

  async function normalized(number) {
    const digits = number.replace(/[^\d+]/g, '');
    if (digits.startsWith('+')) return digits;
    return digits.length === 10 ? '+1' + digits : (digits.length === 11 && digits.startsWith('1') ? '+' + digits : digits);
  }

  // Calls Recoverly placed (line verification): what the called phone heard, code included.
  async function refreshCalls() {
    const calls = await (await fetch('/simulator/api/calls')).json();
    if (calls.length === 0) return;
    $('placedCalls').replaceChildren(...calls.map(c => {
      const li = document.createElement('li');
      const who = document.createElement('span');
      who.className = 'who';
      who.textContent = 'To ' + c.to + ' from ' + c.from;
      const heard = document.createElement('span');
      heard.className = 'heard-words';
      heard.textContent = '“' + c.heard + '”';
      li.append(who, heard);
      return li;
    }));
  }

  async function refresh() {
    refreshCalls();
    const b = current();
    if (!b) return;
    const caller = await normalized(callerNumber());
    $('callerLabel').textContent = caller;
    const cm = await (await fetch('/simulator/api/phone?number=' + encodeURIComponent(caller))).json();
    render($('callerThread'), cm.filter(m => b.numbers.includes(m.from) || b.numbers.includes(m.to)), caller);
    if (b.ownerPhone) {
      $('ownerLabel').textContent = b.ownerPhone;
      const om = await (await fetch('/simulator/api/phone?number=' + encodeURIComponent(b.ownerPhone))).json();
      render($('ownerThread'), om, b.ownerPhone);
    } else {
      $('ownerLabel').textContent = '(no owner phone set)';
    }
  }

  $('call').addEventListener('click', async () => {
    $('heard').hidden = false;
    $('heard').textContent = 'Ringing… no answer. Forwarded to Recoverly.';
    try {
      const r = await post('/simulator/api/call', { from: callerNumber(), to: recoverlyNumber(), lineType: $('lineType').value });
      const doc = new DOMParser().parseFromString(r.twiml, 'text/xml');
      const said = [...doc.getElementsByTagName('Say')].map(s => s.textContent).join(' ');
      const rejected = doc.getElementsByTagName('Reject').length > 0;
      $('heard').textContent = 'The caller heard: ' + (rejected ? '(busy signal)' : '“' + said + '”');
    } catch (e) { $('heard').textContent = 'Call failed: ' + e.message; }
    refresh();
  });

  function wire(formId, inputId, from) {
    $(formId).addEventListener('submit', async ev => {
      ev.preventDefault();
      const body = $(inputId).value.trim();
      if (!body) return;
      try { await post('/simulator/api/sms', { from: from(), to: recoverlyNumber(), body }); $(inputId).value = ''; }
      catch (e) { alert(e.message); }
      refresh();
    });
  }
  wire('callerForm', 'callerText', callerNumber);
  wire('ownerForm', 'ownerText', () => current()?.ownerPhone || '');

  (async () => {
    businesses = await (await fetch('/simulator/api/businesses')).json();
    $('business').replaceChildren(...businesses.map(b => {
      const o = document.createElement('option');
      o.value = b.id; o.textContent = b.name + ' — ' + b.numbers.join(', ');
      return o;
    }));
    $('business').addEventListener('change', refresh);
    $('call').disabled = businesses.length === 0;
    refresh();
    setInterval(refresh, 700);
  })();
})();

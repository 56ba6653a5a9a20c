// Settings (/app/settings): live text-back preview. The server runs the same template rules and segment
// calculator the send uses, so the editor can't disagree with what callers get.
(() => {
  const form = document.getElementById('templates-form');
  if (!form) return;
  const token = form.querySelector('input[name="__RequestVerificationToken"]').value;
  const toggle = form.querySelector('[data-toggle-after]');
  toggle.addEventListener('change', () => { form.querySelector('[data-after]').hidden = !toggle.checked; });
  for (const editor of form.querySelectorAll('[data-editor]')) {
    const area = editor.querySelector('[data-template]');
    const fix = editor.querySelector('[data-fix]');
    let timer = 0, fixed = null;
    const refresh = async () => {
      const body = new URLSearchParams({ template: area.value, __RequestVerificationToken: token });
      const response = await fetch(form.dataset.preview, { method: 'POST', body, credentials: 'same-origin' });
      if (!response.ok) return;
      const p = await response.json();
      editor.querySelector('[data-bubble]').textContent = p.text;
      editor.querySelector('[data-meta]').textContent =
        `${p.encoding} · ${p.segments} ${p.segments === 1 ? 'segment' : 'segments'} · ${p.characters} characters (${p.perSegment} per segment)`;
      const list = editor.querySelector('[data-problems]');
      list.replaceChildren(...[...p.errors.map(e => [e, 'error']), ...p.warnings.map(w => [w, ''])].map(([text, cls]) => {
        const li = document.createElement('li'); li.textContent = text; li.className = cls; return li;
      }));
      fixed = p.smartFixed;
      fix.hidden = fixed === null;
    };
    area.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(refresh, 150); });
    fix.addEventListener('click', () => { if (fixed !== null) { area.value = fixed; refresh(); } });
  }
})();

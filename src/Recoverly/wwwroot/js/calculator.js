// Missed-call cost calculator (/calculator). Mirrors Recoverly.Public.MissedCallCost: same checks, same
// formula, same rounding. Each input carries its range (min, max, step="1" for whole numbers) and its
// message (data-message); the form carries the plan price (data-plan-price).
(() => {
  const form = document.getElementById('calc');
  if (!form) return;
  const planPrice = Number(form.dataset.planPrice);
  const fields = ['missed', 'book', 'value', 'close'];
  const parse = input => {
    const text = input.value.trim().replace(/^\$/, '').replace(/%$/, '').replace(/,/g, '').trim();
    if (!/^(\d+\.?\d*|\.\d+)$/.test(text)) return null;
    const n = Number(text);
    const whole = input.step === '1';
    return n < Number(input.min) || n > Number(input.max) || (whole && n !== Math.floor(n)) ? null : n;
  };
  const dollars = v => '$' + v.toLocaleString('en-US', { maximumFractionDigits: 0 });
  const show = (id, text) => { document.getElementById(id).textContent = text; };
  const update = () => {
    const v = {};
    let ok = true;
    for (const name of fields) {
      const input = form.elements[name];
      v[name] = parse(input);
      const bad = v[name] === null;
      ok = ok && !bad;
      input.setAttribute('aria-invalid', bad ? 'true' : 'false');
      show(name + '-error', bad ? input.dataset.message : '');
    }
    const summary = document.getElementById('calc-errors');
    if (summary) summary.hidden = ok;
    document.getElementById('results').hidden = !ok;
    document.getElementById('no-results').hidden = ok;
    if (!ok) return;
    const jobs = v.missed * (52 / 12) * (v.book / 100) * (v.close / 100);
    const monthly = jobs * v.value;
    const payback = Math.ceil(planPrice / v.value);
    show('monthly', dollars(Math.round(monthly)));
    show('yearly', dollars(Math.round(monthly * 12)));
    show('jobs', String(Math.round(jobs * 10) / 10));
    show('payback', String(payback));
    show('payback-noun', payback === 1 ? 'job pays' : 'jobs pay');
  };
  form.addEventListener('input', update);
  update();
})();

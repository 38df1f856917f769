// The officials' console: signs in the browser and sends; the pages themselves come from the
// server. The official's Ed25519 key is imported once into WebCrypto as non-extractable and
// kept in IndexedDB (a CryptoKey survives there without its bytes ever being readable), one
// per election. Every write is a C2SP signed note the server checks like any submission.
'use strict';
(() => {
  const body = document.body;
  const election = body.dataset.election || '';
  const csrf = body.dataset.csrf || '';
  const msgEl = document.getElementById('console-messages');
  const msgs = msgEl ? JSON.parse(msgEl.textContent) : {};
  const statusEl = document.getElementById('status');
  const enc = new TextEncoder();

  // Fluent leaves a variable it was not given as {$name}: filled in here.
  function msg(id, args) {
    let s = msgs[id] || id;
    for (const [k, v] of Object.entries(args || {})) s = s.split('{$' + k + '}').join(String(v));
    return s;
  }
  function say(text, error) {
    if (!statusEl) return;
    statusEl.textContent = text;
    statusEl.classList.toggle('error', !!error);
  }
  function b64(bytes) {
    let s = '';
    for (const b of new Uint8Array(bytes)) s += String.fromCharCode(b);
    return btoa(s);
  }
  function unb64(s) {
    const bin = atob(s);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }
  function now() {
    return new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  }
  async function answer(r) {
    const j = await r.json().catch(() => ({}));
    return { status: r.status, ok: r.ok, j };
  }
  function errorText(j, fallback) {
    if (j && j.error) return j.error.code + ': ' + j.error.message + (j.error.field ? ' (' + j.error.field + ')' : '');
    return fallback;
  }

  // --- keys, kept per election -------------------------------------------------------------
  function db() {
    return new Promise((resolve, reject) => {
      const r = indexedDB.open('skytale-console', 1);
      r.onupgradeneeded = () => r.result.createObjectStore('keys');
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
    });
  }
  async function keep(rec) {
    const d = await db();
    return new Promise((resolve, reject) => {
      const tx = d.transaction('keys', 'readwrite');
      tx.objectStore('keys').put(rec, election);
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error);
    });
  }
  async function kept() {
    const d = await db();
    return new Promise((resolve, reject) => {
      const r = d.transaction('keys').objectStore('keys').get(election);
      r.onsuccess = () => resolve(r.result || null);
      r.onerror = () => reject(r.error);
    });
  }
  // `PRIVATE+KEY+<name>+<hex id>+<base64(0x01 || seed)>`, as `skytale key generate` writes it.
  async function importKeyFile(text) {
    const m = /^PRIVATE\+KEY\+([^+\s]+)\+([0-9a-f]{8})\+([A-Za-z0-9+/=]+)$/.exec(text.trim());
    if (!m) throw new Error(msg('js-key-bad'));
    const raw = unb64(m[3]);
    if (raw.length !== 33 || raw[0] !== 1) throw new Error(msg('js-key-bad'));
    // PKCS #8 for Ed25519 (RFC 8410): a fixed prefix, then the 32-byte seed.
    const pkcs8 = new Uint8Array(48);
    pkcs8.set([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20]);
    pkcs8.set(raw.subarray(1), 16);
    let key;
    try {
      key = await crypto.subtle.importKey('pkcs8', pkcs8, { name: 'Ed25519' }, false, ['sign']);
    } catch (e) {
      throw new Error(msg('js-no-webcrypto'));
    } finally {
      raw.fill(0);
      pkcs8.fill(0);
    }
    const rec = { name: m[1], id: m[2], key };
    await keep(rec);
    return rec;
  }
  // A C2SP signed note: the text (ending in a newline), a blank line, and the signature line
  // `— <name> base64(key id (4 bytes, big-endian) || signature)`.
  async function signNote(rec, text) {
    if (!text.endsWith('\n')) text += '\n';
    const sig = new Uint8Array(await crypto.subtle.sign('Ed25519', rec.key, enc.encode(text)));
    const all = new Uint8Array(68);
    const id = parseInt(rec.id, 16);
    all.set([(id >>> 24) & 255, (id >>> 16) & 255, (id >>> 8) & 255, id & 255]);
    all.set(sig, 4);
    return text + '\n\u2014 ' + rec.name + ' ' + b64(all) + '\n';
  }

  // --- sign-in and sign-out ----------------------------------------------------------------
  async function signIn(rec) {
    say(msg('js-signing-in'));
    const c = await answer(await fetch('/api/v1/elections/' + election + '/auth/challenge', { method: 'POST' }));
    if (!c.ok) throw new Error(errorText(c.j, String(c.status)));
    const note = await signNote(rec, c.j.challenge);
    const r = await answer(await fetch('/console/' + election + '/session', {
      method: 'POST', body: note, headers: { 'content-type': 'text/plain; charset=utf-8' },
    }));
    if (!r.ok) throw new Error(errorText(r.j, String(r.status)));
    say(msg('js-signed-in'));
    location.reload();
  }
  async function onSignIn(form) {
    const file = form.querySelector('input[type=file]').files[0];
    const rec = file ? await importKeyFile(await file.text()) : await kept();
    if (!rec) throw new Error(msg('js-file-needed'));
    if (file) say(msg('js-key-kept', { key: rec.name }));
    await signIn(rec);
  }
  async function showRemembered() {
    const p = document.querySelector('#sign-in .remembered');
    if (!p) return;
    const rec = await kept().catch(() => null);
    if (rec) {
      p.textContent = msg('js-remembered', { key: rec.name });
      p.hidden = false;
    }
  }
  async function signOut() {
    await fetch('/console/' + election + '/sign-out', { method: 'POST', headers: { 'x-skytale-csrf': csrf } });
    location.href = '/console/' + election + '/';
  }

  // --- signed actions: review, approve, certify ----------------------------------------------
  async function signAndSend(form, button) {
    const rec = await kept();
    if (!rec) { location.reload(); return; }
    const st = JSON.parse(button.dataset.statement);
    st.signed_at = now();
    if (form.dataset.action === 'review') {
      const reason = form.querySelector('textarea[name=reason]').value.trim();
      if (!reason) {
        say(msg('js-reason-needed'), true);
        form.querySelector('textarea[name=reason]').focus();
        return;
      }
      st.reason = reason;
    }
    say(msg('js-sending'));
    const note = await signNote(rec, JSON.stringify(st));
    const r = await answer(await fetch('/api/v1/elections/' + election + '/submissions', {
      method: 'POST', body: note, headers: { 'content-type': 'text/plain; charset=utf-8' },
    }));
    if (r.status === 200 || r.status === 201) {
      say(msg('js-accepted', { index: r.j.index }));
      setTimeout(() => location.reload(), 1500);
    } else if (r.status === 202) {
      say(msg('js-held', { message: (r.j.held && r.j.held.message) || '' }), true);
    } else {
      say(msg('js-refused', { message: errorText(r.j, String(r.status)) }), true);
    }
  }

  // --- upload: preview, sign, send, check the receipts ---------------------------------------
  let toSign = [];
  async function onPreview(form) {
    const file = form.querySelector('#results-file').files[0];
    if (!file) { say(msg('js-file-needed'), true); return; }
    const mapping = form.querySelector('#mapping-file').files[0];
    const status = form.querySelector('input[name=status]:checked').value;
    // The file and, for a CSV in a layout of its own, the mapping table to read it with.
    const body = new FormData();
    body.append('file', file, file.name);
    if (mapping) body.append('mapping', mapping, mapping.name);
    const r = await answer(await fetch('/console/' + election + '/preview?status=' + encodeURIComponent(status), {
      method: 'POST', body, headers: { 'x-skytale-csrf': csrf },
    }));
    if (!r.ok) { say(msg('js-refused', { message: errorText(r.j, String(r.status)) }), true); return; }
    toSign = r.j.statements.map((s) => s.text);
    const section = document.getElementById('preview');
    // Server-rendered and escaped there; scripts in it would not run (CSP).
    document.getElementById('preview-body').innerHTML = r.j.html;
    section.hidden = false;
    document.getElementById('receipts').hidden = true;
    say('');
    document.getElementById('preview-title').focus();
  }
  async function onSend() {
    const rec = await kept();
    if (!rec) { location.reload(); return; }
    say(msg('js-sending'));
    const notes = [];
    for (const text of toSign) notes.push(await signNote(rec, text));
    const r = await answer(await fetch('/api/v1/elections/' + election + '/submissions/batch', {
      method: 'POST', body: JSON.stringify(notes), headers: { 'content-type': 'application/json' },
    }));
    if (!r.ok) {
      const each = (r.j.refused || []).map((x) => '#' + (x.position + 1) + ' ' + x.code + ': ' + x.message).join('\n');
      say(msg('js-refused', { message: errorText(r.j, String(r.status)) + (each ? '\n' + each : '') }), true);
      return;
    }
    const info = (await answer(await fetch('/api/v1/elections/' + election))).j;
    const lines = [];
    const receipts = [];
    let allChecked = true;
    for (let i = 0; i < r.j.results.length; i++) {
      const res = r.j.results[i];
      const what = JSON.parse(toSign[i]).unit;
      if (res.status !== 'accepted') {
        lines.push(msg('js-held', { message: what + ': ' + ((res.held && res.held.reasons) || []).map((x) => x.why).join('; ') }));
        allChecked = false;
        continue;
      }
      receipts.push(res.receipt);
      try {
        await checkReceipt(res.receipt, notes[i], info.log.verifier_key);
        lines.push(msg('js-receipt-ok', { index: res.receipt.index, what, size: res.receipt.tree_size }));
      } catch (e) {
        lines.push(msg('js-receipt-bad', { index: res.receipt.index, what, why: e.message }));
        allChecked = false;
      }
    }
    const list = document.getElementById('receipts-body');
    list.replaceChildren();
    const ul = document.createElement('ul');
    for (const l of lines) {
      const li = document.createElement('li');
      li.textContent = l;
      ul.append(li);
    }
    list.append(ul);
    const link = document.getElementById('receipts-download');
    link.href = URL.createObjectURL(new Blob([JSON.stringify(receipts, null, 2)], { type: 'application/json' }));
    document.getElementById('receipts').hidden = false;
    document.getElementById('preview').hidden = true;
    say(lines.join('\n'), !allChecked);
    document.getElementById('receipts-title').focus();
  }

  // A receipt holds when the checkpoint is signed by the log's key and the inclusion proof
  // leads from the note's leaf hash to the checkpoint's root (RFC 9162, 2.1.3.2).
  async function sha256(bytes) { return new Uint8Array(await crypto.subtle.digest('SHA-256', bytes)); }
  function concat(prefix, ...parts) {
    const n = parts.reduce((a, p) => a + p.length, 1);
    const out = new Uint8Array(n);
    out[0] = prefix;
    let o = 1;
    for (const p of parts) { out.set(p, o); o += p.length; }
    return out;
  }
  function same(a, b) { return a.length === b.length && a.every((x, i) => x === b[i]); }
  async function checkReceipt(receipt, note, verifierKey) {
    // name+hexid+base64: the base64 may itself hold '+', so split at the first two only.
    const first = verifierKey.indexOf('+');
    const second = verifierKey.indexOf('+', first + 1);
    if (first < 0 || second < 0) throw new Error('log key');
    const vname = verifierKey.slice(0, first);
    const vid = verifierKey.slice(first + 1, second);
    const vkey = verifierKey.slice(second + 1);
    const raw = unb64(vkey);
    if (raw.length !== 33 || raw[0] !== 1) throw new Error('log key');
    const pub = await crypto.subtle.importKey('raw', raw.subarray(1), { name: 'Ed25519' }, false, ['verify']);
    const cp = receipt.checkpoint;
    const split = cp.indexOf('\n\n');
    const text = cp.slice(0, split + 1);
    const sigLine = cp.slice(split + 2).split('\n').find((l) => l.startsWith('\u2014 ' + vname + ' '));
    if (!sigLine) throw new Error('checkpoint not signed by ' + vname);
    const sig = unb64(sigLine.split(' ')[2]);
    const id = sig.subarray(0, 4).reduce((a, b) => a * 256 + b, 0);
    if (id !== parseInt(vid, 16)) throw new Error('checkpoint key id');
    if (!(await crypto.subtle.verify('Ed25519', pub, sig.subarray(4), enc.encode(text)))) throw new Error('checkpoint signature');
    const [, sizeText, rootText] = text.split('\n');
    const size = Number(sizeText);
    const root = unb64(rootText);
    let r = await sha256(concat(0, enc.encode(note)));
    let fn = receipt.index;
    let sn = size - 1;
    if (fn > sn) throw new Error('index beyond the checkpoint');
    for (const p64 of receipt.inclusion_proof) {
      const p = unb64(p64);
      if (sn === 0) throw new Error('inclusion proof too long');
      if (fn % 2 === 1 || fn === sn) {
        r = await sha256(concat(1, p, r));
        while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
      } else {
        r = await sha256(concat(1, r, p));
      }
      fn = Math.floor(fn / 2);
      sn = Math.floor(sn / 2);
    }
    if (sn !== 0 || !same(r, root)) throw new Error('inclusion proof');
  }

  // --- wiring -------------------------------------------------------------------------------
  document.addEventListener('submit', async (ev) => {
    const form = ev.target;
    const action = form.dataset.action;
    if (!action) return;
    ev.preventDefault();
    const button = ev.submitter || form.querySelector('button[type=submit]');
    try {
      if (action === 'sign-in') await onSignIn(form);
      else if (action === 'preview') await onPreview(form);
      else await signAndSend(form, button);
    } catch (e) {
      say(String((e && e.message) || e), true);
    }
  });
  document.addEventListener('click', async (ev) => {
    const t = ev.target.closest('[data-action]');
    if (!t || t.tagName === 'FORM') return;
    try {
      if (t.dataset.action === 'sign-out') await signOut();
      else if (t.dataset.action === 'send') await onSend();
    } catch (e) {
      say(String((e && e.message) || e), true);
    }
  });
  showRemembered();

  // The night page refreshes its figures in place (the rest of the page, and focus, stay).
  const live = document.querySelector('[data-live]');
  if (live) {
    setInterval(async () => {
      if (document.hidden) return;
      const r = await fetch(location.href, { headers: { accept: 'text/html' } }).catch(() => null);
      if (!r || !r.ok) return;
      const doc = new DOMParser().parseFromString(await r.text(), 'text/html');
      const fresh = doc.querySelector('[data-live]');
      if (fresh) live.replaceChildren(...fresh.childNodes);
    }, Number(live.dataset.live) * 1000);
  }
})();

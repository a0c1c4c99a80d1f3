/* Gongkai 站内搜索, written into search/index.html: runs queries in the browser on the
   index the build writes to search/index/ (format: generator/search.py). A query loads
   the manifest once, then only the term shards it needs (and further positions to verify
   phrases), the pinyin file of a pinyin word, and the display data and text chunks of the
   results shown. Text from the index goes into the page as text only, never as HTML. */
(() => {
  "use strict";
  const app = document.querySelector(".search-app");
  if (!app) return;
  const $ = id => document.getElementById(id);
  const form = app.querySelector("form"), input = $("search-q"), status = $("search-status"),
    note = $("search-note"), body = $("search-body"), facetBox = $("search-facet-list"),
    list = $("search-list"), more = $("search-more"), clear = $("search-clear");
  const INDEX = app.dataset.index, ROOT = app.dataset.root, PAGE = 10;
  const B64 = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_", VAL = {};
  Array.from(B64).forEach((c, i) => { VAL[c] = i; });
  const CJK = "\\u3007\\u3400-\\u4dbf\\u4e00-\\u9fff\\uf900-\\ufaff\\u{20000}-\\u{3134f}";
  const ONE_CJK = new RegExp(`^[${CJK}]$`, "u");
  const TOKEN = new RegExp(`([${CJK}]+)|([a-z0-9]+)|[^${CJK}a-z0-9]+`, "gu");
  const LETTERS = /^[a-z]+$/;
  const own = (o, k) => (Object.prototype.hasOwnProperty.call(o, k) ? o[k] : "");
  let M = null;                                   // the manifest
  const files = new Map(), memo = new Map();

  /* ---- loading */
  const get = (path, fresh) => fetch(INDEX + path + (fresh ? "" : "?v=" + M.hash), fresh ? { cache: "no-cache" } : {})
    .then(r => { if (!r.ok) throw new Error(`${path}: ${r.status}`); return r.json(); });
  const load = path => {
    if (!files.has(path)) files.set(path, get(path).catch(e => { files.delete(path); throw e; }));
    return files.get(path);
  };
  const once = (key, make) => { if (!memo.has(key)) memo.set(key, make()); return memo.get(key); };
  async function manifest() {
    if (M) return M;
    const m = await get("manifest.json", true);
    m.keys = new Set(m.pinyin.split(" "));
    m.split = new Set(m.split.split(" "));
    for (const f of m.facets) {              // one code per record and facet (0: none)
      f.codes = new Int32Array(m.records);
      for (let r = 0; r < m.records; r++) {
        let v = 0;
        for (let k = 0; k < f.width; k++) v = v * 64 + VAL[f.col[r * f.width + k]];
        f.codes[r] = v;
      }
    }
    return (M = m);
  }

  /* ---- terms: the same folding and hashing as generator/search.py */
  const fold = s => s.replace(/[\uff01-\uff5e]/g, c => String.fromCharCode(c.charCodeAt(0) - 0xfee0))
    .replace(/\u3000/g, " ").replace(/[A-Z]/g, c => c.toLowerCase());
  const fnv = s => { let h = 0x811c9dc5; for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193); return h >>> 0; };
  const shard = (dir, term, n) => `${dir}/${(fnv(term) & (n - 1)).toString(16).padStart((n - 1).toString(16).length, "0")}.json`;
  const reader = s => {
    let i = 0;
    return { more: () => i < s.length, num() { let v = 0, c; while ((c = VAL[s[i++]]) >= 32) v = v * 32 + c - 32; return v * 32 + c; } };
  };
  // record → {c: count per field (title, headings, body), f: first position per field (-1: none kept)}
  const first = term => once("t" + term, async () => {
    const r = reader(own(await load(shard("t", term, M.shards)), term)), pos = !ONE_CJK.test(term), out = new Map();
    for (let rec = 0; r.more();) {
      rec += r.num();
      const mask = r.num(), c = [0, 0, 0], f = [-1, -1, -1];
      for (let k = 0; k < 3; k++) if (mask >> k & 1) { c[k] = r.num(); if (pos) f[k] = r.num(); }
      out.set(rec, { c, f });
    }
    return out;
  });
  // record → every position per field (null where the first position is all there is)
  const rest = term => once("q" + term, async () => {
    const [fm, obj] = await Promise.all([first(term), load(shard("q", term, M.positions))]);
    const r = reader(own(obj, term)), out = new Map();
    for (let rec = 0; r.more();) {
      rec += r.num();
      const mask = r.num(), e = fm.get(rec), lists = [null, null, null];
      for (let k = 0; k < 3; k++) {
        if (!(mask >> k & 1)) continue;
        let p = e.f[k];
        lists[k] = [p];
        for (let j = 1; j < e.c[k]; j++) lists[k].push(p += r.num());
      }
      out.set(rec, lists);
    }
    return out;
  });
  // A phrase: record → {h: hits per field, p: first hit per field}. Chinese of three or more
  // characters matches where its bigrams stand at consecutive positions, nowhere else.
  async function phrase(text) {
    const cps = Array.from(text), out = new Map();
    if (cps.length < 3 || !ONE_CJK.test(cps[0])) {
      (await first(text)).forEach((e, rec) => out.set(rec, { h: e.c, p: e.f }));
      return out;
    }
    const grams = cps.slice(1).map((c, i) => cps[i] + c), fs = await Promise.all(grams.map(first));
    const cand = Array.from(fs.reduce((a, m) => (m.size < a.size ? m : a)).keys()).filter(rec => fs.every(m => m.has(rec)));
    const rs = cand.some(rec => fs.some(m => m.get(rec).c.some(n => n > 1))) ? await Promise.all(grams.map(rest)) : null;
    for (const rec of cand) {
      const h = [0, 0, 0], p = [-1, -1, -1];
      for (let k = 0; k < 3; k++) {
        if (!fs.every(m => m.get(rec).c[k])) continue;
        const sets = fs.map((m, g) => { const e = m.get(rec); return new Set(e.c[k] > 1 ? rs[g].get(rec)[k] : [e.f[k]]); });
        for (const s of sets[0]) {
          if (sets.every((set, g) => set.has(s + g))) { h[k]++; if (p[k] < 0 || s < p[k]) p[k] = s; }
        }
      }
      if (h[0] || h[1] || h[2]) out.set(rec, { h, p });
    }
    return out;
  }

  /* ---- pinyin */
  // The cheapest way the query types the first k ≥ 2 of these syllables, each in full
  // (cost 0), by its initial (1: y, zh) or by another beginning (2): {k, cost} or null.
  // ysq, yishenqing, yishenq and yshq all type 依申请 (yi shen qing).
  function typed(q, syl) {
    let best = null;
    const go = (i, j, cost) => {
      if (best && cost > best.cost) return;
      if (i === q.length) { if (j >= 2 && (!best || cost < best.cost || j > best.k)) best = { k: j, cost }; return; }
      if (j === syl.length) return;
      const s = syl[j], initial = /^[zcs]h/.test(s) ? 2 : 1;
      for (let n = Math.min(s.length, q.length - i); n > 0; n--) {
        if (q.startsWith(s.slice(0, n), i)) go(i + n, j + 1, cost + (n === s.length ? 0 : n <= initial ? 1 : 2));
      }
    };
    go(0, 0, 0);
    return best;
  }
  function distance(a, b) {               // Damerau–Levenshtein (optimal string alignment)
    const d = Array.from({ length: a.length + 1 }, (_, i) => [i]);
    for (let j = 1; j <= b.length; j++) d[0][j] = j;
    for (let i = 1; i <= a.length; i++) {
      for (let j = 1; j <= b.length; j++) {
        d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
        if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
    return d[a.length][b.length];
  }
  // The site's words a pinyin query may mean, best first (cheapest typing, then most
  // frequent); else words within a small edit distance {typo: true}. `whole`: every
  // syllable typed, no typos.
  async function convert(q, whole) {
    const key = q.length === 2 ? q : M.split.has(q.slice(0, 2)) ? q.slice(0, 3) : q.slice(0, 2);
    if (q.length < 2 || !LETTERS.test(q) || !M.keys.has(key)) return { words: [] };
    const found = [], typos = [], maxd = q.length >= 8 ? 2 : 1;
    (await load(`p/${key}.json`)).forEach((entry, o) => {
      const readings = entry.split("|"), chars = Array.from(readings.shift());
      let best = null, typo = null;
      for (const r of readings) {
        const syl = r.split(" "), m = typed(q, syl);
        if (m && (!whole || m.k === syl.length) && (!best || m.cost < best.cost)) best = { cost: m.cost, o, w: chars.slice(0, m.k).join("") };
        for (let n = syl.length; !best && !whole && q.length >= 4 && n >= 2; n--) {
          const t = syl.slice(0, n).join(""), d = Math.abs(t.length - q.length) <= maxd ? distance(q, t) : 9;
          if (d <= maxd && (!typo || d < typo.cost)) typo = { cost: d, o, w: chars.slice(0, n).join("") };
        }
      }
      if (best) found.push(best); else if (typo) typos.push(typo);
    });
    const rank = a => Array.from(new Set(a.sort((x, y) => x.cost - y.cost || x.o - y.o).map(x => x.w))).slice(0, 4);
    return found.length ? { words: rank(found) } : { words: rank(typos), typo: typos.length > 0 };
  }
  const readingOf = () => once("py", async () => {   // character → its common reading
    const table = await load("py.json"), map = new Map();
    for (const syl of Object.keys(table)) for (const ch of table[syl]) if (!map.has(ch)) map.set(ch, syl);
    return map;
  });

  /* ---- queries: a list of parts that must all match, each a list of alternative phrases */
  async function plan(q) {
    const tokens = [], notes = [];
    let m, glued = false;
    TOKEN.lastIndex = 0;
    while ((m = TOKEN.exec(fold(q)))) {
      if (!m[1] && !m[2]) { glued = false; continue; }
      tokens.push({ cjk: !!m[1], text: m[1] || m[2], glued });
      glued = true;
    }
    if (tokens.length > 1 && tokens.every(t => LETTERS.test(t.text))) {      // yi shen qing
      const c = await convert(tokens.map(t => t.text).join(""));
      if (c.words.length && !c.typo) {
        notes.push({ typed: tokens.map(t => t.text).join(" "), words: c.words });
        return { parts: [[c.words[0]]], notes };
      }
    }
    const groups = [], parts = [];
    tokens.forEach(t => (t.glued ? groups[groups.length - 1].push(t) : groups.push([t])));
    for (const g of groups) parts.push(...await group(g, notes));
    return { parts, notes };
  }
  // A word of letters stands for its best pinyin conversion, and for itself where the
  // index has it (PDF); a word with digits only for itself.
  async function word(t, notes) {
    const literal = (await first(t.text)).size ? t.text : null;
    if (!LETTERS.test(t.text)) return { options: [], literal: t.text };
    const c = await convert(t.text);
    if (c.words.length) notes.push({ typed: t.text, words: c.words, typo: c.typo });
    return { options: c.words, literal };
  }
  // Tokens written together (依申请gk, 2024年): with pinyin, the first combination of
  // conversions that occurs as a phrase; else each token is a part of its own.
  async function group(g, notes) {
    const local = [];
    const ts = await Promise.all(g.map(t => (t.cjk ? { options: [t.text], literal: null } : word(t, local))));
    const separate = () => {
      notes.push(...local);
      return ts.map(t => Array.from(new Set([t.options[0], t.literal].filter(Boolean))));
    };
    if (g.length < 2 || !local.length || ts.some(t => !t.options.length)) return separate();
    let combos = [""];
    for (const t of ts) combos = [].concat(...combos.map(c => t.options.slice(0, 3).map(o => c + o))).slice(0, 9);
    for (const c of combos) {
      if ((await phrase(c)).size) { notes.push({ typed: g.map(t => t.text).join(""), words: [c] }); return [[c]]; }
    }
    return separate();
  }
  // 依申清公开 → 依申请公开: a Chinese part that finds nothing is read as pinyin and
  // replaced by the site's word of that reading.
  async function homophones(p) {
    if (!p.parts.some(alts => alts.length === 1 && ONE_CJK.test(Array.from(alts[0])[0]) && Array.from(alts[0]).length > 1)) return null;
    const reading = await readingOf(), fixes = [];
    const parts = await Promise.all(p.parts.map(async alts => {
      const chars = alts.length === 1 ? Array.from(alts[0]) : [];
      if (chars.length < 2 || !chars.every(c => reading.has(c)) || (await phrase(alts[0])).size) return alts;
      const c = await convert(chars.map(ch => reading.get(ch)).join(""), true);
      const w = c.words.find(x => x !== alts[0] && Array.from(x).length === chars.length);
      if (!w) return alts;
      fixes.push([alts[0], w]);
      return [w];
    }));
    return fixes.length ? { parts, notes: p.notes.concat([{ fixes }]) } : null;
  }
  const score = h => (h[0] ? 100 + Math.min(h[0], 5) * 4 : 0) + (h[1] ? 10 + Math.min(h[1], 5) : 0) +
    (h[2] ? 1 + Math.min(h[2], 10) * 0.08 : 0);
  // Records matching every part, best first: title > headings > body; then documents,
  // interpretations, tasks; then the site's order (newest first: records go oldest first).
  async function run(parts) {
    if (!parts.length) return [];
    const maps = await Promise.all(parts.map(async alts => {
      const best = new Map();
      for (const m of await Promise.all(alts.map(phrase))) {
        m.forEach((e, rec) => { const s = score(e.h), cur = best.get(rec); if (!cur || s > cur.s) best.set(rec, { s, h: e.h, p: e.p }); });
      }
      return best;
    }));
    const out = [];
    maps.reduce((a, m) => (m.size < a.size ? m : a)).forEach((_, rec) => {
      const es = maps.map(m => m.get(rec));
      if (es.some(e => !e)) return;
      out.push({ rec, s: es.reduce((t, e) => t + e.s, 0), h: [0, 1, 2].map(k => es.reduce((t, e) => t + e.h[k], 0)),
        p: [0, 1, 2].map(k => (es.find(e => e.p[k] >= 0) || es[0]).p[k]) });
    });
    const kind = M.facets[0].codes;
    return out.sort((a, b) => b.s - a.s || kind[a.rec] - kind[b.rec] || b.rec - a.rec);
  }

  /* ---- state and search */
  const S = { results: [], filtered: [], shown: 0, selected: {}, marks: [], notes: [], q: "", seq: 0, view: 0 };
  const anySelected = () => Object.keys(S.selected).some(k => S.selected[k].size);
  const passes = (rec, except) => M.facets.every(f => f.key === except || !S.selected[f.key] ||
    !S.selected[f.key].size || S.selected[f.key].has(f.codes[rec]));
  function say(text) {          // cleared first, so that the same words are announced again
    status.textContent = "";
    setTimeout(() => { status.textContent = text; }, 50);
  }
  async function search(q) {
    const seq = ++S.seq;
    q = q.trim();
    history.replaceState(null, "", location.pathname + (q ? "?q=" + encodeURIComponent(q) : ""));
    if (!q) { body.hidden = note.hidden = true; say("请输入要搜索的词语。"); return; }
    status.textContent = "正在搜索……";
    try {
      await manifest();
      let p = await plan(q), results = await run(p.parts);
      if (!results.length && p.parts.length) {
        const fixed = await homophones(p), again = fixed ? await run(fixed.parts) : [];
        if (again.length) { p = fixed; results = again; }
      }
      if (seq !== S.seq) return;
      const marks = Array.from(new Set([].concat(...p.parts).map(fold))).sort((a, b) => b.length - a.length);
      Object.assign(S, { q, results, marks, notes: p.notes, selected: {} });
      showNotes();
      await show();
    } catch (e) {
      if (seq !== S.seq) return;
      body.hidden = true;
      say(location.protocol === "file:" ? "站内搜索要通过网站服务器打开（例如运行 gongkai serve），直接打开文件时不能使用。"
        : `搜索索引加载失败，请检查网络后重试。（${e.message}）`);
    }
  }

  /* ---- display data, snippets and rendering */
  const meta = rec => load(`m/${Math.floor(rec / M.block)}.json`).then(b => b[rec % M.block]);
  async function text(info, from, to) {      // characters [from, to) of a stored field
    const C = M.chunk, a = Math.floor(from / C), parts = [];
    for (let k = a; k <= Math.floor((to - 1) / C); k++) {
      const gid = info[0] + k;
      parts.push(load(`c/${Math.floor(gid / M.pack)}.json`).then(pack => pack[gid % M.pack]));
    }
    return Array.from((await Promise.all(parts)).join("")).slice(from - a * C, to - a * C).join("");
  }
  const firstMark = s => {
    const f = fold(s);
    return Math.min(...S.marks.map(t => f.indexOf(t)).filter(i => i >= 0), Infinity);
  };
  // Around the first hit in the body, else in the headings, else the opening of the body.
  async function snippet(m, hit) {
    let field = hit.h[2] || !hit.h[1] ? 2 : 1, info = field === 1 ? m.h : m.b;
    if (!info) { field = 1; info = m.h; }
    if (!info) return { text: "", pos: -1 };
    let pos = hit.h[field] ? hit.p[field] : -1;
    if (pos < 0) {
      const opening = await text(info, 0, Math.min(info[1], 300)), at = firstMark(opening);
      pos = at === Infinity ? 0 : Array.from(opening.slice(0, at)).length;
    }
    const from = Math.max(0, pos - 30), to = Math.min(info[1], pos + 80);
    const t = (await text(info, from, to)).replace(/\s+/g, " ");
    return { text: (from ? "…" : "") + t + (to < info[1] ? "…" : ""), field, pos };
  }
  const anchor = (m, sn) => {              // the section of the document the snippet is in
    let id = "";
    if (m.a && sn.pos >= 0) for (const a of m.a) if (a[sn.field === 2 ? 0 : 1] <= sn.pos) id = a[2];
    return id ? "#" + id : "";
  };
  const el = (tag, cls, txt) => {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (txt != null) e.textContent = txt;
    return e;
  };
  function marked(parent, s) {             // s with the query's words in <mark>, all as text
    const f = fold(s), spans = [];
    for (const t of S.marks) for (let i = f.indexOf(t); t && i >= 0; i = f.indexOf(t, i + t.length)) spans.push([i, i + t.length]);
    let at = 0;
    for (const [a, b] of spans.sort((x, y) => x[0] - y[0])) {
      if (b <= at) continue;
      if (a > at) parent.append(s.slice(at, a));
      parent.append(el("mark", "", s.slice(Math.max(a, at), b)));
      at = b;
    }
    parent.append(s.slice(at));
    return parent;
  }
  function item(m, parent, sn) {
    const li = el("li", "search-result"), h3 = el("h3"), a = el("a"), line = el("p", "result-meta"), info = parent || m;
    a.href = ROOT + m.u + (m.u.includes("#") ? "" : anchor(m, sn));
    h3.append(marked(a, m.t));
    line.append(el("span", "result-type", M.facets[0].values[m.k]));
    if (info.i) line.append(el("span", "", info.i));
    if (info.d) { const s = el("span"), t = el("time", "", info.d); t.dateTime = info.d; s.append(t); line.append(s); }
    if (info.n) line.append(el("span", "badge-invalid", info.n));
    li.append(h3, line);
    const context = parent ? `《${parent.t}》任务分工` : m.x;
    if (context) li.append(marked(el("p", "result-context"), context));
    if (sn.text) li.append(marked(el("p", "result-snippet"), sn.text));
    if (m.e) li.append(marked(el("p", "result-extra"), m.e));
    return li;
  }
  async function showMore() {
    const view = S.view;
    const items = await Promise.all(S.filtered.slice(S.shown, S.shown + PAGE).map(async hit => {
      const m = await meta(hit.rec);
      const [parent, sn] = await Promise.all([m.p === undefined ? null : meta(m.p), snippet(m, hit)]);
      return item(m, parent, sn);
    }));
    if (view !== S.view) return null;
    list.append(...items);
    S.shown += items.length;
    more.hidden = S.shown >= S.filtered.length;
    return items;
  }
  function facets() {          // counts follow the other facets' choices
    const focused = document.activeElement && document.activeElement.id;
    facetBox.textContent = "";
    for (const f of M.facets) {
      const counts = new Map(), sel = S.selected[f.key] || new Set();
      for (const { rec } of S.results) if (f.codes[rec] && passes(rec, f.key)) counts.set(f.codes[rec], (counts.get(f.codes[rec]) || 0) + 1);
      const values = f.values.map((_, i) => i + 1).filter(v => counts.get(v) || sel.has(v));
      if (!values.length) continue;
      if (f.key !== "year" && f.key !== "type") values.sort((a, b) => (counts.get(b) || 0) - (counts.get(a) || 0) || a - b);
      const fs = el("fieldset", "facet"), box = el("div", "facet-options");
      fs.append(el("legend", "", f.label), box);
      for (const v of values) {
        const label = el("label", "facet-option"), cb = el("input"), name = el("span", "facet-value", f.values[v - 1]);
        Object.assign(cb, { type: "checkbox", id: `facet-${f.key}-${v}`, checked: sel.has(v) });
        Object.assign(cb.dataset, { facet: f.key, value: v });
        name.append(el("span", "facet-count", `（${counts.get(v) || 0}）`));
        label.append(cb, name);
        box.append(label);
      }
      facetBox.append(fs);
    }
    clear.hidden = !anySelected();
    if (focused && $(focused)) $(focused).focus();
  }
  function showNotes() {
    note.textContent = "";
    for (const n of S.notes) {
      const p = el("p");
      if (n.fixes) {
        p.textContent = `没有找到“${n.fixes.map(f => f[0]).join(" ")}”，已显示“${n.fixes.map(f => f[1]).join(" ")}”的结果（同音字纠错）。`;
      } else {
        p.append(`拼音“${n.typed}”${n.typo ? "可能有误，" : ""}已按“`, el("strong", "", n.words[0]), "”查找。");
        if (n.words.length > 1) p.append("也可以查找：");
        for (const w of n.words.slice(1)) {
          const b = el("button", "search-word", w);
          b.type = "button";
          b.addEventListener("click", () => { input.value = w; search(w); });
          p.append(b, " ");
        }
      }
      note.append(p);
    }
    note.hidden = !S.notes.length;
  }
  async function show() {
    S.filtered = S.results.filter(h => passes(h.rec));
    S.shown = 0;
    S.view++;
    list.textContent = "";
    if (!S.results.length) {
      body.hidden = true;
      say(`没有找到与“${S.q}”相关的结果。可以换一个词，或检查错别字。`);
      return;
    }
    facets();
    if (body.hidden && !S.opened) {
      // one column (phone, 关怀版): the filters start folded, so that the results come first
      S.opened = true;
      $("search-facet-details").open = !(matchMedia("(max-width: 48rem)").matches || document.documentElement.classList.contains("care"));
    }
    body.hidden = false;
    if (!await showMore()) return;
    const n = S.filtered.length, total = S.results.length;
    say((anySelected() ? `筛选后有 ${n} 条结果（共 ${total} 条）。` : `找到 ${total} 条结果。`) +
      (S.shown < n ? `已显示前 ${S.shown} 条。` : ""));
  }

  /* ---- events */
  form.addEventListener("submit", e => { e.preventDefault(); search(input.value); });
  facetBox.addEventListener("change", e => {
    const cb = e.target, key = cb.dataset.facet;
    if (!key) return;
    const sel = S.selected[key] || (S.selected[key] = new Set());
    if (cb.checked) sel.add(+cb.dataset.value); else sel.delete(+cb.dataset.value);
    show();
  });
  clear.addEventListener("click", () => { S.selected = {}; show().then(() => input.focus()); });
  more.addEventListener("click", async () => {
    const items = await showMore();
    if (items && items.length) {
      items[0].querySelector("a").focus();
      say(`已显示 ${S.shown} 条，共 ${S.filtered.length} 条。`);
    }
  });
  const q = new URLSearchParams(location.search).get("q");
  if (q) { input.value = q; search(q); }
})();

/* Gongkai reader settings: 标准版/关怀版, 字号, 高对比度 (kept in localStorage and linkable
   with ?mode=care / ?mode=standard), and 朗读 on document pages. The page is complete
   without this script; the settings bar only appears when it runs. */
(function () {
  "use strict";
  var KEY = "gongkai-prefs";
  var root = document.documentElement;

  function load() {
    try { return JSON.parse(localStorage.getItem(KEY)) || {}; } catch (e) { return {}; }
  }
  function save(prefs) {
    try { localStorage.setItem(KEY, JSON.stringify(prefs)); } catch (e) { /* private mode */ }
  }
  function apply(prefs) {
    root.classList.toggle("care", prefs.mode === "care");
    root.classList.toggle("contrast", !!prefs.contrast);
    if (prefs.font) { root.setAttribute("data-font", String(prefs.font)); }
    else { root.removeAttribute("data-font"); }
    var buttons = document.querySelectorAll(".toolbar [data-mode], .toolbar [data-font], .toolbar [data-contrast]");
    Array.prototype.forEach.call(buttons, function (b) {
      var on;
      if (b.hasAttribute("data-mode")) { on = (prefs.mode === "care") === (b.getAttribute("data-mode") === "care"); }
      else if (b.hasAttribute("data-font")) { on = String(prefs.font || 0) === b.getAttribute("data-font"); }
      else { on = !!prefs.contrast; }
      b.setAttribute("aria-pressed", on ? "true" : "false");
    });
  }
  function init() {
    var prefs = load();
    // ?mode=… was already applied and remembered by the inline script; drop it from the
    // address so that a copied link does not silently switch someone else's mode.
    if (/[?&]mode=/.test(location.search) && window.history && history.replaceState) {
      var url = location.pathname + location.search.replace(/([?&])mode=[^&]*&?/, "$1").replace(/[?&]$/, "") + location.hash;
      history.replaceState(null, "", url);
    }
    apply(prefs);
    document.addEventListener("click", function (ev) {
      var b = ev.target.closest && ev.target.closest(".toolbar button");
      if (!b) { return; }
      var p = load();
      if (b.hasAttribute("data-mode")) { p.mode = b.getAttribute("data-mode"); }
      else if (b.hasAttribute("data-font")) { p.font = parseInt(b.getAttribute("data-font"), 10) || 0; }
      else if (b.hasAttribute("data-contrast")) { p.contrast = !p.contrast; }
      save(p);
      apply(p);
    });
    initSpeech();
  }

  /* 朗读: the browser's speech synthesis, sentence by sentence (long utterances are cut
     off by some engines), with pause/resume and stop. Hidden where unsupported. */
  function initSpeech() {
    var box = document.querySelector(".read-aloud");
    if (!box) { return; }
    if (!("speechSynthesis" in window) || typeof SpeechSynthesisUtterance === "undefined") { return; }
    box.hidden = false;
    var synth = window.speechSynthesis;
    var play = box.querySelector("[data-speech=play]");
    var pause = box.querySelector("[data-speech=pause]");
    var stop = box.querySelector("[data-speech=stop]");
    var status = box.querySelector(".speech-status");
    var queue = [];
    var speaking = false;

    function text() {
      var parts = [];
      var title = document.querySelector("h1");
      if (title) { parts.push(title.textContent); }
      var body = document.querySelector(".doc-body");
      if (body) { parts.push(body.innerText || body.textContent); }
      return parts.join("。\n");
    }
    function setState(state) {
      speaking = state !== "stopped";
      play.disabled = speaking && state !== "paused";
      pause.disabled = !speaking;
      stop.disabled = !speaking;
      pause.textContent = state === "paused" ? "继续" : "暂停";
      status.textContent = { playing: "正在朗读", paused: "已暂停", stopped: "" }[state];
    }
    function next() {
      if (!speaking) { return; }
      var sentence = queue.shift();
      if (!sentence) { setState("stopped"); return; }
      var u = new SpeechSynthesisUtterance(sentence);
      u.lang = "zh-CN";
      u.onend = next;
      u.onerror = function () { setState("stopped"); };
      synth.speak(u);
    }
    play.addEventListener("click", function () {
      if (synth.paused) { synth.resume(); setState("playing"); return; }
      synth.cancel();
      queue = text().split(/(?<=[。！？；\n])/).map(function (s) { return s.trim(); }).filter(Boolean);
      setState("playing");
      next();
    });
    pause.addEventListener("click", function () {
      if (synth.paused) { synth.resume(); setState("playing"); }
      else { synth.pause(); setState("paused"); }
    });
    stop.addEventListener("click", function () { queue = []; synth.cancel(); setState("stopped"); });
    setState("stopped");
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); }
  else { init(); }
})();

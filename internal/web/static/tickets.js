// The operator console's live parts: new messages appear in an open
// ticket and the queue refreshes itself, over server-sent events; saved
// replies drop into the reply box. Everything still works without it.
(function () {
  "use strict";

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  var conv = document.getElementById("conversation");
  if (conv && window.EventSource) {
    var last = parseInt(conv.dataset.lastSeq, 10) || 0;
    var es = new EventSource(conv.dataset.events + "?after=" + last);
    es.addEventListener("message", function (ev) {
      var m = JSON.parse(ev.data);
      if (m.seq <= last || conv.querySelector('[data-seq="' + m.seq + '"]')) return;
      last = m.seq;
      conv.dataset.lastSeq = String(last);
      var li = el("li", "tk-msg tk-msg-" + m.kind + " tk-fresh");
      li.dataset.seq = String(m.seq);
      var meta = el("div", "tk-meta");
      meta.appendChild(el("span", "tk-kind", m.label));
      meta.appendChild(document.createTextNode(" · "));
      meta.appendChild(el("span", "tk-author", m.author));
      meta.appendChild(document.createTextNode(" · "));
      meta.appendChild(el("time", "", m.time));
      li.appendChild(meta);
      li.appendChild(el("div", "tk-text", m.text));
      (m.files || []).forEach(function (f) {
        var d = el("div", "tk-file");
        var a = el("a", "", f.label);
        a.href = f.url;
        d.appendChild(a);
        li.appendChild(d);
      });
      conv.appendChild(li);
    });
    es.addEventListener("ticket", function (ev) {
      var t = JSON.parse(ev.data);
      var st = document.getElementById("ticket-status");
      if (st) {
        st.textContent = t.status;
        st.className = "tk-status tk-" + t.status_key;
      }
      var as = document.getElementById("ticket-assignee");
      if (as) as.textContent = t.assignee;
    });
  }

  var saved = document.getElementById("saved");
  var text = document.getElementById("reply-text");
  if (saved && text) {
    saved.addEventListener("change", function () {
      var opt = saved.options[saved.selectedIndex];
      if (!opt || !opt.dataset.body) return;
      text.value = text.value ? text.value.replace(/\s*$/, "") + "\n\n" + opt.dataset.body : opt.dataset.body;
      saved.selectedIndex = 0;
      text.focus();
    });
  }
  var internal = document.getElementById("reply-internal");
  var after = document.getElementById("reply-after");
  if (internal && after) {
    internal.addEventListener("change", function () { after.disabled = internal.checked; });
  }

  var queue = document.getElementById("queue");
  if (queue && queue.dataset.stream && window.EventSource && window.fetch) {
    var busy = false;
    var refresh = function () {
      if (busy) return;
      busy = true;
      fetch(window.location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) {
          if (!html) return;
          var doc = new DOMParser().parseFromString(html, "text/html");
          var fresh = doc.getElementById("queue");
          if (fresh) queue.replaceChildren.apply(queue, Array.prototype.slice.call(fresh.childNodes));
        })
        .catch(function () {})
        .then(function () { busy = false; });
    };
    new EventSource(queue.dataset.stream).addEventListener("changed", refresh);
  }
})();

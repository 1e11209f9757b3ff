/* The default theme's small script: the search dialog (opened by its button, `/` and Ctrl-K;
   its client, the dialog's data-client, is loaded the first time), and the table of contents marking
   the section being read. Without it the table of contents is still a list of links. */
(function () {
  "use strict";
  var dialog = document.getElementById("site-search-dialog");
  var opener = document.getElementById("site-search-open");
  var input = document.getElementById("site-search-input");
  var loaded = false;

  function load() {
    if (loaded || !dialog) return;
    loaded = true;
    var script = document.createElement("script");
    script.src = dialog.getAttribute("data-client");
    if (dialog.hasAttribute("data-integrity")) script.integrity = dialog.getAttribute("data-integrity");
    document.head.appendChild(script);
  }

  function open() {
    load();
    if (!dialog.open) dialog.showModal();
    input.focus();
    input.select();
  }

  if (dialog && opener && input && dialog.showModal) {
    opener.addEventListener("click", open);
    /* Fetch the client as soon as the reader shows interest, so it is there for the first key. */
    opener.addEventListener("pointerenter", load);
    opener.addEventListener("focus", load);
    document.getElementById("site-search-close").addEventListener("click", function () {
      dialog.close();
    });
    dialog.addEventListener("click", function (event) {
      if (event.target === dialog) dialog.close();  /* a click on the backdrop */
    });
    dialog.addEventListener("close", function () {
      opener.focus();
    });
    document.addEventListener("keydown", function (event) {
      var target = event.target;
      var typing = target && (target.isContentEditable ||
        /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
      var ctrlK = (event.ctrlKey || event.metaKey) && !event.altKey &&
        (event.key === "k" || event.key === "K");
      var slash = event.key === "/" && !event.ctrlKey && !event.metaKey && !event.altKey;
      if (ctrlK || (slash && !typing)) {
        event.preventDefault();
        open();
      }
    });
  }

  var links = Array.prototype.slice.call(document.querySelectorAll(".page-toc a[href^='#']"));
  if (!links.length) return;
  var targets = links.map(function (link) {
    var id = decodeURIComponent(link.getAttribute("href").slice(1));
    return document.getElementById(id);
  });
  var current = null, queued = false;

  function mark() {
    queued = false;
    var line = Math.min(window.innerHeight * 0.25, 160), found = -1;
    for (var i = 0; i < targets.length; i++) {
      if (targets[i] && targets[i].getBoundingClientRect().top <= line) found = i;
    }
    /* At the very bottom the last headings may never reach the line: take the last one. */
    if (window.innerHeight + window.scrollY >= document.documentElement.scrollHeight - 2) {
      for (var k = targets.length - 1; k >= 0; k--) {
        if (targets[k] && targets[k].getBoundingClientRect().top < window.innerHeight) {
          found = k;
          break;
        }
      }
    }
    var link = found >= 0 ? links[found] : null;
    if (link === current) return;
    if (current) current.removeAttribute("aria-current");
    if (link) link.setAttribute("aria-current", "location");
    current = link;
  }

  function queue() {
    if (!queued) {
      queued = true;
      window.requestAnimationFrame(mark);
    }
  }

  window.addEventListener("scroll", queue, { passive: true });
  window.addEventListener("resize", queue);
  window.addEventListener("hashchange", queue);
  queue();  /* with the next frame's layout, not a layout of its own while the page loads */
})();

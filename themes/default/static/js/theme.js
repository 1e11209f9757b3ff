/* The default theme's small script: the table of contents marks the section being read.
   Without it the table of contents is still a list of links. */
(function () {
  "use strict";
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
  mark();
})();

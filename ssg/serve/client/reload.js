(function () {
  // ssg serve's client, injected into every page the dev server sends (ssg/serve/http.py
  // fills in the %...% names). It loads LiveReload's client for the connection and for the
  // in-place stylesheet swap, and idiomorph for the in-place page update: when the server says
  // this page changed, the page is fetched again and its body morphed into the open one, so
  // the scroll position, open <details>, focus and the page's scripts' state survive. A
  // change of the head or of any script, an error, or a response that is not a whole page
  // reloads the page instead. A stylesheet linked by a fingerprinted name
  // (/css/style.3f2a1b9c04.css) gets a new name when it changes: the link of the old name is
  // swapped to the new one in place.
  "use strict";
  var me = document.currentScript;
  var shown = { version: me.dataset.version, head: me.dataset.head };
  // What the page's scripts made of an element with an id is kept when the element's HTML
  // is the same in the new page as in the page they started from (the search box, say).
  var served = null;
  var port = location.port || (location.protocol === "https:" ? 443 : 80);
  var busy = false;
  var again = false;

  function add(src) {
    var s = document.createElement("script");
    s.src = src;
    document.head.appendChild(s);
  }

  function reload() {
    location.reload();
  }

  // A stylesheet's name without its fingerprint: the links of one stylesheet have the same.
  var FINGERPRINT = /\.[0-9a-f]{10}(\.css)$/i;

  function plain(path) {
    return path.replace(FINGERPRINT, "$1");
  }

  function pathOf(href) {
    try {
      return new URL(href, location.href).pathname;
    } catch (e) {
      return "";
    }
  }

  // Links the page to the stylesheet at `path` (a URL path) in place of the one of the same
  // name with another fingerprint; the old link goes once the new file has loaded, so the
  // page never shows unstyled. The old file's SRI hash is not the new one's: it is dropped.
  function swapStyle(path) {
    var links = document.querySelectorAll("link[rel~=stylesheet][href]:not([data-ssg-old])");
    Array.prototype.forEach.call(links, function (link) {
      var now = pathOf(link.getAttribute("href"));
      if (now === path || !FINGERPRINT.test(now) || plain(now) !== plain(path)) return;
      var next = link.cloneNode(false);
      next.removeAttribute("integrity");
      next.setAttribute("href", path);
      link.setAttribute("data-ssg-old", "");
      next.addEventListener("load", function () { link.remove(); });
      next.addEventListener("error", function () {
        next.remove();
        link.removeAttribute("data-ssg-old");
      });
      link.after(next);
    });
  }

  // True when the page links the stylesheet of plain name `path` by a fingerprinted name
  // only: the plain copy's change is not what the page shows (the new name is).
  function linkedByFingerprint(path) {
    var fingerprinted = false, exact = false;
    document.querySelectorAll("link[rel~=stylesheet][href]").forEach(function (link) {
      var now = pathOf(link.getAttribute("href"));
      if (now === path) exact = true;
      else if (FINGERPRINT.test(now) && plain(now) === path) fingerprinted = true;
    });
    return fingerprinted && !exact;
  }

  // The fingerprinted stylesheets of a fetched page: those whose name changed are swapped.
  function swapStyles(doc) {
    doc.head.querySelectorAll("link[rel~=stylesheet][href]").forEach(function (link) {
      var path = pathOf(link.getAttribute("href"));
      if (FINGERPRINT.test(path)) swapStyle(path);
    });
  }

  function fetchPage() {
    return fetch(location.href, { cache: "no-store", credentials: "same-origin" })
      .then(function (r) {
        return r.text().then(function (text) { return { response: r, text: text }; });
      });
  }

  // The parsed page when `got` is a whole page of this server, else null.
  function parse(got) {
    var r = got.response;
    var length = Number(r.headers.get("%LENGTH_HEADER%"));
    if (r.status !== 200 || !r.headers.get("%VERSION_HEADER%") || !r.headers.get("%HEAD_HEADER%")
        || new TextEncoder().encode(got.text).length !== length) {
      return null;
    }
    var doc = new DOMParser().parseFromString(got.text, "text/html");
    if (!doc.body || !doc.getElementById("ssg-livereload")) return null;
    return doc;
  }

  function keep(old, next) {
    if (!served || !old.id || old.id !== next.id) return true;
    var before = served.getElementById(old.id);
    return !(before && before.outerHTML === next.outerHTML);
  }

  function morph(doc) {
    var x = window.scrollX, y = window.scrollY;
    window.Idiomorph.morph(document.body, doc.body, {
      morphStyle: "outerHTML",
      ignoreActiveValue: true,
      callbacks: {
        beforeNodeMorphed: function (old, next) {
          return old.nodeType !== 1 || keep(old, next);
        },
        beforeAttributeUpdated: function (name, node) {
          // The reader opened or closed it: not the page's to change.
          return !(name === "open" && node.nodeName === "DETAILS");
        }
      }
    });
    window.scrollTo(x, y);
    // Descriptions are left out of the head's signature (themes fill them from the body).
    var metas = "meta[name$=description i], meta[property$=description i]";
    var old = document.head.querySelectorAll(metas);
    doc.head.querySelectorAll(metas).forEach(function (meta, i) {
      if (old[i]) old[i].setAttribute("content", meta.getAttribute("content") || "");
    });
  }

  function update() {
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    again = false;
    fetchPage().then(function (got) {
      var doc = parse(got);
      var r = got.response;
      if (!doc || !window.Idiomorph || r.headers.get("%HEAD_HEADER%") !== shown.head) {
        reload();
        return;
      }
      var version = r.headers.get("%VERSION_HEADER%");
      if (version !== shown.version) {
        swapStyles(doc);
        morph(doc);
        shown.version = version;
        served = doc;
        document.dispatchEvent(new CustomEvent("ssg:updated"));
      }
      busy = false;
      if (again) update();
    }).catch(reload);
  }

  // LiveReload calls this first for every path it is told to reload: "%PAGE_PATH%" is ssg's
  // name for "this page's HTML changed"; a fingerprinted stylesheet is swapped in by its name
  // (LiveReload would look for a link of that very name, find none and reload every
  // stylesheet by its old name, which is gone). Anything else (a stylesheet of a plain name,
  // an image, "*") is LiveReload's own to handle.
  function Morph() {}
  Morph.identifier = "ssg-morph";
  Morph.version = "1.0";
  Morph.prototype.reload = function (path) {
    if (FINGERPRINT.test(path)) {
      swapStyle(path);
      return true;
    }
    if (linkedByFingerprint(path)) return true;
    if (path !== "%PAGE_PATH%") return false;
    try {
      update();
    } catch (e) {
      reload();
    }
    return true;
  };

  add("%LIBRARY_PATH%");
  add("%CLIENT_PATH%?port=" + port);
  var wait = setInterval(function () {
    var lr = window.LiveReload;
    if (!lr || !lr.connector || !(lr.connector.protocol >= 7)) return;
    clearInterval(wait);
    lr.addPlugin(Morph);
    // A build that finished between this page's response and the socket's registration sent
    // it nothing: ask whether the page changed meanwhile, and keep what it was served as.
    setTimeout(function () {
      fetchPage().then(function (got) {
        var doc = parse(got);
        if (doc && got.response.headers.get("%VERSION_HEADER%") === shown.version) {
          served = doc;
        } else {
          update();
        }
      }).catch(function () {});
    }, 100);
  }, 20);
})();

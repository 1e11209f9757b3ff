/* ssg's search client: queries the static index that `ssg build` writes to /search/.

   Markup (the default theme's partials/search.html):
     <button id="site-search-open">...</button>
     <dialog id="site-search-dialog">
       <div id="site-search" data-index="/search/">
         <label for="site-search-input">...</label><input id="site-search-input" type="search">
         <button id="site-search-close">...</button>
         <p id="site-search-status" role="status"></p><ol id="site-search-results"></ol>
       </div>
     </dialog>
   The theme's script (js/theme.js) opens the dialog (the button, `/`, Ctrl-K) and loads this
   file the first time; Escape empties the box, and a second Escape closes the dialog. A theme
   may also load this file with a <script> tag and show the box where it is.
   A query fetches meta.json, the term shards of its words and the chunks of the results it
   shows; nothing else, and nothing outside the site. The index format is described in
   ssg/stages/search.py; the word rules repeat ssg/stages/search_text.py. */
(function () {
  "use strict";
  var ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_";
  var VALUE = {};
  for (var i = 0; i < ALPHABET.length; i++) VALUE[ALPHABET.charAt(i)] = i;
  var CJK_RANGES = "\\u1100-\\u11ff\\u3040-\\u30ff\\u3130-\\u318f\\u3400-\\u4dbf\\u4e00-\\u9fff" +
    "\\ua960-\\ua97f\\uac00-\\ud7af\\uf900-\\ufaff\\u{20000}-\\u{3ffff}";
  var CJK = new RegExp("^[" + CJK_RANGES + "]", "u");
  var CJK_OR_NOT = new RegExp("[" + CJK_RANGES + "]+|[^" + CJK_RANGES + "]+", "gu");
  var WORD = /[\p{L}\p{N}]+/gu;
  var PAGE_SIZE = 10, K1 = 1.2, B = 0.75, TITLE_BOOST = 1.5, PREFIX_FACTOR = 0.6, MIN_PREFIX = 3;
  var REVALIDATE_MS = 3000;

  /* The words of a query: {term, prefix}. A run of Chinese, Japanese or Korean characters is
     its bigrams (a single character stands for itself). */
  function words(text) {
    var found = [];
    (text.normalize("NFKC").toLowerCase().match(WORD) || []).forEach(function (word) {
      (word.match(CJK_OR_NOT) || []).forEach(function (run) {
        var chars = Array.from(run);
        if (!CJK.test(run)) {
          found.push({ term: run, prefix: chars.length >= MIN_PREFIX });
        } else if (chars.length === 1) {
          found.push({ term: run, prefix: false });
        } else {
          for (var i = 0; i + 1 < chars.length; i++) {
            found.push({ term: chars[i] + chars[i + 1], prefix: false });
          }
        }
      });
    });
    return found;
  }

  function shardOf(term, shards) {
    var chars = Array.from(term);
    var key = CJK.test(term) ? chars[0] : chars.slice(0, 3).join("");
    var bytes = new TextEncoder().encode(key);
    var hash = 0x811c9dc5;
    for (var i = 0; i < bytes.length; i++) {
      hash = Math.imul(hash ^ bytes[i], 0x01000193) >>> 0;
    }
    return hash % shards;
  }

  function decodeIds(text) {
    var ids = [], id = 0, i = 0;
    while (i < text.length) {
      var c = text.charAt(i), width = c === "~" ? 3 : c === "!" ? 5 : 0, value = 0;
      if (width === 0) {
        value = VALUE[c];
        i += 1;
      } else {
        for (var k = 1; k <= width; k++) value = value * 64 + VALUE[text.charAt(i + k)];
        i += width + 1;
      }
      id += value;
      ids.push(id);
    }
    return ids;
  }

  function Index(base) {
    this.base = base;
    this.meta = null;
    this.files = {};
    this.checked = 0;
    this.loading = null;
  }

  Index.prototype.fetchJson = function (path, fresh) {
    var url = this.base + path + (fresh ? "" : "?v=" + this.meta.stamp);
    return fetch(url, fresh ? { cache: "no-cache" } : {}).then(function (response) {
      if (!response.ok) throw new Error(url + ": " + response.status);
      return response.json();
    });
  };

  /* meta.json, asked again (a revalidation) when the last answer is older than a few seconds,
     so that a rebuilt site is seen. */
  Index.prototype.load = function () {
    var self = this, now = Date.now();
    if (this.meta && now - this.checked < REVALIDATE_MS) return Promise.resolve(this.meta);
    if (this.loading) return this.loading;
    this.loading = this.fetchJson("meta.json", true).then(function (meta) {
      self.checked = Date.now();
      self.loading = null;
      if (!self.meta || self.meta.stamp !== meta.stamp) {
        self.meta = meta;
        self.files = {};
        var total = 0;
        meta.dl = new Float64Array(meta.docs);
        for (var i = 0; i < meta.docs; i++) {
          meta.dl[i] = Math.pow(2, VALUE[meta.lengths.charAt(i)] / 4) - 1;
          total += meta.dl[i];
        }
        meta.avgdl = meta.docs ? Math.max(1, total / meta.docs) : 1;
      }
      return self.meta;
    }, function (error) {
      self.loading = null;
      throw error;
    });
    return this.loading;
  };

  Index.prototype.file = function (path) {
    if (!this.files[path]) this.files[path] = this.fetchJson(path, false);
    return this.files[path];
  };

  /* doc id -> score for one query word (the best of the terms it matches). */
  Index.prototype.scores = function (word) {
    var meta = this.meta;
    return this.file("t/" + shardOf(word.term, meta.shards) + ".json").then(function (shard) {
      var scores = new Map();
      Object.keys(shard).forEach(function (term) {
        var exact = term === word.term;
        if (!exact && !(word.prefix && term.startsWith(word.term))) return;
        var ids = decodeIds(shard[term][0]), weights = shard[term][1];
        var idf = Math.log(1 + (meta.docs - ids.length + 0.5) / (ids.length + 0.5));
        var factor = exact ? 1 : PREFIX_FACTOR;
        for (var k = 0; k < ids.length; k++) {
          var w = VALUE[weights.charAt(k)], tf = w >> 1, doc = ids[k];
          var score = idf * tf * (K1 + 1) /
            (tf + K1 * (1 - B + B * meta.dl[doc] / meta.avgdl));
          if (w & 1) score += idf * TITLE_BOOST;
          score *= factor;
          if (!(scores.get(doc) >= score)) scores.set(doc, score);
        }
      });
      return scores;
    });
  };

  /* Doc ids matching every word, best first. */
  Index.prototype.search = function (query) {
    var self = this, list = words(query);
    if (!list.length) return Promise.resolve([]);
    return this.load().then(function () {
      return Promise.all(list.map(function (word) { return self.scores(word); }));
    }).then(function (perWord) {
      perWord.sort(function (a, b) { return a.size - b.size; });
      var total = new Map(perWord[0]);
      for (var i = 1; i < perWord.length; i++) {
        total.forEach(function (score, doc) {
          var more = perWord[i].get(doc);
          if (more === undefined) total.delete(doc);
          else total.set(doc, score + more);
        });
      }
      return Array.from(total.keys()).sort(function (a, b) {
        return total.get(b) - total.get(a) || a - b;
      });
    });
  };

  /* [url, title, excerpt] of some docs, from their chunks. */
  Index.prototype.docs = function (ids) {
    var chunk = this.meta.chunk, self = this;
    return Promise.all(ids.map(function (id) {
      return self.file("d/" + Math.floor(id / chunk) + ".json").then(function (docs) {
        return docs[id % chunk];
      });
    }));
  };

  function start(box) {
    var input = box.querySelector("input");
    var status = box.querySelector("[role=status]");
    var list = box.querySelector("ol");
    if (!input || !status || !list) return;
    var index = new Index(box.getAttribute("data-index") || "/search/");
    var asked = 0, hits = [], shown = 0, timer = null, more = null;

    function clear() {
      list.textContent = "";
      list.hidden = true;
      status.textContent = "";
      hits = [];
      shown = 0;
      box.classList.remove("has-results");
    }

    function showMore(query, ticket) {
      var next = hits.slice(shown, shown + PAGE_SIZE);
      return index.docs(next).then(function (docs) {
        if (ticket !== asked) return;
        if (more) more.remove();
        docs.forEach(function (doc) {
          var item = document.createElement("li");
          var link = document.createElement("a");
          link.href = doc[0];
          link.textContent = doc[1] || doc[0];
          item.appendChild(link);
          if (doc[2]) {
            var text = document.createElement("p");
            text.textContent = doc[2];
            item.appendChild(text);
          }
          list.appendChild(item);
        });
        shown += next.length;
        if (shown < hits.length) {
          more = document.createElement("li");
          more.className = "site-search-more";
          var button = document.createElement("button");
          button.type = "button";
          button.textContent = "More results";
          button.addEventListener("click", function () {
            showMore(query, ticket).then(function () {
              var links = list.querySelectorAll("a");
              if (links[shown - next.length]) links[shown - next.length].focus();
            });
          });
          more.appendChild(button);
          list.appendChild(more);
        }
        box.dispatchEvent(new CustomEvent("ssg-search-results",
          { detail: { query: query, count: hits.length } }));
      });
    }

    function run() {
      var query = input.value.trim(), ticket = ++asked;
      if (!query) {
        clear();
        return;
      }
      index.search(query).then(function (found) {
        if (ticket !== asked) return;
        list.textContent = "";
        more = null;
        hits = found;
        shown = 0;
        list.hidden = found.length === 0;
        box.classList.toggle("has-results", found.length > 0);
        status.textContent = found.length === 0 ? "No results for \u201c" + query + "\u201d"
          : found.length === 1 ? "1 result" : found.length.toLocaleString() + " results";
        return showMore(query, ticket);
      }).catch(function (error) {
        if (ticket !== asked) return;
        clear();
        status.textContent = "Search is not available (" + error.message + ")";
      });
    }

    input.addEventListener("focus", function () {
      index.load().catch(function () {});  /* ready before the first word is typed */
    });
    index.load().catch(function () {});
    if (input.value.trim()) run();  /* typed before this script had loaded */
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(run, 30);
    });
    box.addEventListener("keydown", function (event) {
      var links = Array.prototype.slice.call(list.querySelectorAll("a, button"));
      var at = links.indexOf(document.activeElement);
      if (event.key === "Escape") {
        if (!input.value) return;  /* in a dialog, the next Escape closes it */
        input.value = "";
        clear();
        input.focus();
      } else if (event.key === "ArrowDown" && links.length) {
        links[Math.min(at + 1, links.length - 1)].focus();
      } else if (event.key === "ArrowUp" && at >= 0) {
        (at === 0 ? input : links[at - 1]).focus();
      } else {
        return;
      }
      event.preventDefault();
    });
  }

  var box = document.getElementById("site-search");
  if (box && !box.hasAttribute("data-started")) {
    box.setAttribute("data-started", "");
    start(box);
  }
})();

// Mermaid diagrams: each `.mermaid` element's source drawn as SVG, in the light or dark
// palette the page shows, and drawn again when that changes. Loaded (after mermaid.min.js)
// only on pages that have a diagram; without JavaScript the source stays readable as text.
(function () {
  "use strict";
  if (!window.mermaid) return;
  var root = document.documentElement;
  var query = window.matchMedia("(prefers-color-scheme: dark)");
  var blocks = Array.prototype.slice.call(document.querySelectorAll(".mermaid"));
  blocks.forEach(function (block) {
    // superfences' custom fences wrap the source in <code>: the text is what counts.
    block._source = block.textContent;
  });

  function dark() {
    // A theme switch may set the scheme on <html>; else the reader's system decides.
    var chosen = root.getAttribute("data-theme") || root.getAttribute("data-color-scheme");
    if (chosen === "dark" || chosen === "light") return chosen === "dark";
    return query.matches;
  }

  var drawn = null;
  var count = 0;
  function draw() {
    var scheme = dark() ? "dark" : "default";
    if (scheme === drawn) return;
    drawn = scheme;
    window.mermaid.initialize({ startOnLoad: false, theme: scheme, securityLevel: "strict" });
    blocks.reduce(function (previous, block) {
      return previous.then(function () {
        count += 1;
        return window.mermaid.render("ssg-mermaid-" + count, block._source).then(function (out) {
          block.innerHTML = out.svg;
          block.classList.add("is-drawn");
          block.classList.remove("is-broken");
        }, function (error) {
          block.textContent = block._source;
          block.classList.add("is-broken");
          block.setAttribute("title", String(error && error.message || error));
        });
      });
    }, Promise.resolve());
  }

  draw();
  if (query.addEventListener) query.addEventListener("change", draw);
  new MutationObserver(draw).observe(root, {
    attributes: true, attributeFilter: ["data-theme", "data-color-scheme"]
  });
})();

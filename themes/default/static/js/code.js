// Code blocks: a copy button on each highlighted block. The button is made here, so a page
// read without JavaScript shows none (and nothing that does not work).
(function () {
  "use strict";

  // The text of a block's code, without line numbers.
  function codeText(block) {
    var code = block.querySelector("td.code code") || block.querySelector("pre code") ||
      block.querySelector("pre");
    if (!code) return "";
    var copy = code.cloneNode(true);
    copy.querySelectorAll(".linenos, .linenodiv").forEach(function (node) { node.remove(); });
    return copy.textContent.replace(/\n$/, "");
  }

  function writeText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    // Pages opened from a file or over plain http have no async clipboard.
    return new Promise(function (resolve, reject) {
      var area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.style.position = "fixed";
      area.style.opacity = "0";
      document.body.appendChild(area);
      area.select();
      var done = false;
      try { done = document.execCommand("copy"); } catch (error) { done = false; }
      area.remove();
      if (done) { resolve(); } else { reject(new Error("copy refused")); }
    });
  }

  function tell(button, status, text) {
    button.textContent = text;
    status.textContent = text === "Copied" ? "Code copied" : text;
    clearTimeout(button._reset);
    button._reset = setTimeout(function () {
      button.textContent = "Copy";
      status.textContent = "";
    }, 2000);
  }

  var status = document.createElement("span");
  status.className = "visually-hidden code-copy-status";
  status.setAttribute("role", "status");
  document.body.appendChild(status);

  document.querySelectorAll(".highlight").forEach(function (block) {
    if (block.querySelector(":scope > .code-copy") || !block.querySelector("pre")) return;
    var button = document.createElement("button");
    button.type = "button";
    button.className = "code-copy";
    button.textContent = "Copy";
    var lang = block.getAttribute("data-lang");
    button.setAttribute("aria-label", lang ? "Copy the " + lang + " code" : "Copy the code");
    button.addEventListener("click", function () {
      writeText(codeText(block)).then(function () {
        tell(button, status, "Copied");
      }, function () {
        tell(button, status, "Press Ctrl+C to copy");
        var range = document.createRange();
        range.selectNodeContents(block.querySelector("pre"));
        var selection = window.getSelection();
        selection.removeAllRanges();
        selection.addRange(range);
      });
    });
    block.classList.add("has-copy");
    block.appendChild(button);
  });
})();

// OpenTTO: small progressive enhancements. No inline scripts (the CSP forbids them).
(function () {
  "use strict";
  function ready(fn) { if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); } }
  ready(function () {
    // "Add a row" for Django formsets: clone the <template>, replace __prefix__, bump TOTAL_FORMS.
    document.querySelectorAll("[data-formset]").forEach(function (fieldset) {
      var prefix = fieldset.getAttribute("data-formset");
      var button = fieldset.querySelector("[data-add-row]");
      var template = fieldset.querySelector("template");
      var rows = fieldset.querySelector(".formset-rows");
      var total = fieldset.querySelector("input[name='" + prefix + "-TOTAL_FORMS']");
      if (!button || !template || !rows || !total) { return; }
      button.addEventListener("click", function () {
        var index = parseInt(total.value, 10) || 0;
        var html = template.innerHTML.replace(/__prefix__/g, String(index));
        rows.insertAdjacentHTML("beforeend", html);
        total.value = String(index + 1);
        var first = rows.lastElementChild && rows.lastElementChild.querySelector("input, select, textarea");
        if (first) { first.focus(); }
      });
    });
    // "Select all" boxes: [data-select-all="name"] checks every checkbox of that name in its form.
    document.querySelectorAll("[data-select-all]").forEach(function (box) {
      var name = box.getAttribute("data-select-all");
      box.addEventListener("change", function () {
        var form = box.form || document;
        form.querySelectorAll("input[type='checkbox'][name='" + name + "']").forEach(function (other) { other.checked = box.checked; });
      });
    });
    // Phone-sized navigation toggle.
    var toggle = document.querySelector("[data-nav-toggle]");
    if (toggle) {
      toggle.addEventListener("click", function () {
        var open = toggle.getAttribute("aria-expanded") === "true";
        toggle.setAttribute("aria-expanded", open ? "false" : "true");
        document.body.classList.toggle("nav-open", !open);
      });
    }
  });
})();
// The header's <details> menus ("More", the account): one open at a time; a click elsewhere or Escape closes them.
(function () {
  "use strict";
  function menus() { return document.querySelectorAll(".site-header details"); }
  document.addEventListener("click", function (event) {
    menus().forEach(function (menu) { if (menu.open && !menu.contains(event.target)) { menu.open = false; } });
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") { return; }
    menus().forEach(function (menu) { if (menu.open) { menu.open = false; var s = menu.querySelector("summary"); if (s) { s.focus(); } } });
  });
})();
// Data tables on a phone are cards (app.css): each cell needs its column's heading as a label.
// Cells the template already labels keep theirs; date cells are marked so they never wrap.
(function () {
  "use strict";
  var DATE = /^\d{4}-\d{2}-\d{2}( \d{2}:\d{2}(:\d{2})?)?$/;
  function headings(table) {
    var rows = table.tHead ? table.tHead.rows : [];
    var out = [];
    if (!rows.length) { return out; }
    Array.prototype.forEach.call(rows[rows.length - 1].cells, function (th) {
      var text = (th.textContent || "").replace(/\s+/g, " ").trim();
      for (var i = 0; i < (th.colSpan || 1); i++) { out.push(text); }
    });
    return out;
  }
  function label(root) {
    var tables = root.querySelectorAll ? root.querySelectorAll("table.data") : [];
    if (root.matches && root.matches("table.data")) { tables = [root]; }
    Array.prototype.forEach.call(tables, function (table) {
      var heads = headings(table);
      Array.prototype.forEach.call(table.querySelectorAll(":scope > tbody > tr, :scope > tfoot > tr"), function (tr) {
        var col = 0;
        Array.prototype.forEach.call(tr.cells, function (cell) {
          var head = heads[col];
          col += cell.colSpan || 1;
          if (DATE.test((cell.textContent || "").trim())) { cell.classList.add("date"); }
          if (cell.hasAttribute("data-label") || !head || cell.colSpan > 1 || col === (cell.colSpan || 1)) { return; }
          cell.setAttribute("data-label", head);
        });
      });
    });
  }
  function ready(fn) { if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); } }
  ready(function () {
    label(document);
    document.body.addEventListener("htmx:load", function (event) { label(event.target); });
  });
})();
// A plan's terms: only the part for the chosen transfer mode is shown (every part without JS;
// a part with an error stays in sight).
(function () {
  "use strict";
  function ready(fn) { if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); } }
  ready(function () {
    document.querySelectorAll("form").forEach(function (form) {
      var parts = form.querySelectorAll("fieldset[data-terms-for]");
      var select = form.querySelector("select[name='transfer_mode'], select[name='mode']");
      if (!parts.length || !select) { return; }
      function show() {
        parts.forEach(function (part) {
          var modes = part.getAttribute("data-terms-for").split(" ");
          part.hidden = modes.indexOf(select.value) < 0 && !part.querySelector(".has-error, .error");
        });
      }
      select.addEventListener("change", show);
      show();
    });
  });
})();

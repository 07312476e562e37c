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

// Export links follow the list's current filters: when one is clicked, its query string is
// rebuilt from the filter form on the page (the filters change without a page load, via htmx).
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("a[data-export]") : null;
    if (!link) { return; }
    var form = document.querySelector("form.filters");
    if (!form) { return; }
    var params = new URLSearchParams();
    new FormData(form).forEach(function (value, key) {
      if (typeof value === "string" && value !== "") { params.append(key, value); }
    });
    var base = link.getAttribute("href").split("?")[0];
    var query = params.toString();
    link.setAttribute("href", query ? base + "?" + query : base);
  });
})();

// Title suggestions for the header search box, as you type. Progressive
// enhancement: without this script the box is a plain search form.
(function () {
  "use strict";
  var input = document.getElementById("search-input");
  if (!input || !window.fetch) {
    return;
  }
  var list = document.createElement("datalist");
  list.id = "search-suggestions";
  input.parentNode.appendChild(list);
  input.setAttribute("list", list.id);

  var timer = null;
  var lastQuery = "";
  var controller = null;

  function show(results) {
    while (list.firstChild) {
      list.removeChild(list.firstChild);
    }
    results.forEach(function (result) {
      var option = document.createElement("option");
      option.value = result.title;
      list.appendChild(option);
    });
  }

  function fetchSuggestions() {
    var query = input.value.trim();
    if (query === lastQuery) {
      return;
    }
    lastQuery = query;
    if (!query) {
      show([]);
      return;
    }
    if (controller) {
      controller.abort();
    }
    controller = window.AbortController ? new AbortController() : null;
    fetch("/search/suggest/?q=" + encodeURIComponent(query), {
      headers: { Accept: "application/json" },
      signal: controller ? controller.signal : undefined,
    })
      .then(function (response) {
        return response.ok ? response.json() : { results: [] };
      })
      .then(function (data) {
        if (data.query === undefined || data.query.trim() === input.value.trim()) {
          show(data.results || []);
        }
      })
      .catch(function () {
        // A failed or aborted request leaves the box as it is.
      });
  }

  input.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(fetchSuggestions, 150);
  });
})();

// Title suggestions for the header search box, as you type: an ARIA 1.2
// combobox whose popup is a listbox of links. The server's suggestions
// forgive a typo ("proleukn" suggests Proleukin), so the list shows them as
// they come (a <datalist> would hide every option that does not contain
// the typed text).
//
// Focus stays in the box: Down and Up move through the suggestions
// (aria-activedescendant tells screen readers which one), Enter opens the
// one chosen or, with none chosen, searches as the form does; Escape closes
// the list. A click or tap on a suggestion opens it. Progressive
// enhancement: without this script the box is a plain search form.
(function () {
  "use strict";
  var input = document.getElementById("search-input");
  if (!input || !window.fetch) {
    return;
  }
  var form = input.form;
  var DELAY = 150; // ms after the last key before asking the server
  var LISTBOX_ID = "search-suggestions";

  var listbox = document.createElement("div");
  listbox.id = LISTBOX_ID;
  listbox.className = "search-suggestions";
  listbox.setAttribute("role", "listbox");
  listbox.setAttribute("aria-label", "Suggested pages");
  listbox.hidden = true;
  var status = document.createElement("span");
  status.className = "visually-hidden";
  status.setAttribute("role", "status");
  form.classList.add("has-suggestions");
  form.appendChild(listbox);
  form.appendChild(status);

  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-controls", LISTBOX_ID);
  input.setAttribute("aria-expanded", "false");

  var options = [];
  var active = -1; // index of the chosen option, -1 for none
  var timer = null;
  var shownQuery = null; // the query whose suggestions the list holds
  var controller = null;

  function isOpen() {
    return !listbox.hidden;
  }

  function choose(index) {
    if (active >= 0 && options[active]) {
      options[active].setAttribute("aria-selected", "false");
    }
    active = index;
    if (active >= 0) {
      options[active].setAttribute("aria-selected", "true");
      input.setAttribute("aria-activedescendant", options[active].id);
      options[active].scrollIntoView({ block: "nearest" });
    } else {
      input.removeAttribute("aria-activedescendant");
    }
  }

  function open() {
    if (options.length) {
      listbox.hidden = false;
      input.setAttribute("aria-expanded", "true");
    }
  }

  function close() {
    choose(-1);
    listbox.hidden = true;
    input.setAttribute("aria-expanded", "false");
  }

  function show(query, results) {
    shownQuery = query;
    choose(-1);
    while (listbox.firstChild) {
      listbox.removeChild(listbox.firstChild);
    }
    options = results.map(function (result, index) {
      var option = document.createElement("a");
      option.id = LISTBOX_ID + "-" + index;
      option.className = "search-suggestion";
      option.href = result.url;
      option.tabIndex = -1; // focus stays in the box; Down and Up choose
      option.setAttribute("role", "option");
      option.setAttribute("aria-selected", "false");
      option.textContent = result.title;
      listbox.appendChild(option);
      return option;
    });
    if (options.length) {
      open();
    } else {
      close();
    }
    status.textContent = !query
      ? ""
      : options.length === 1
        ? "1 suggestion. Press the down arrow to choose it."
        : options.length
          ? options.length + " suggestions. Press the down arrow to choose one."
          : "No suggestions.";
  }

  function fetchSuggestions() {
    var query = input.value.trim();
    if (query === shownQuery) {
      open();
      return;
    }
    if (controller) {
      controller.abort();
    }
    if (!query) {
      show("", []);
      return;
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
        // An answer to an older query, overtaken by typing, is dropped.
        if (input.value.trim() === query && document.activeElement === input) {
          show(query, data.results || []);
        }
      })
      .catch(function () {
        // A failed or aborted request leaves the list as it is.
      });
  }

  input.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(fetchSuggestions, DELAY);
  });

  input.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey) {
      return;
    }
    switch (event.key) {
      case "ArrowDown":
      case "Down":
        event.preventDefault();
        if (!isOpen()) {
          open();
          if (isOpen()) {
            choose(0);
          }
        } else {
          choose(active + 1 < options.length ? active + 1 : 0);
        }
        break;
      case "ArrowUp":
      case "Up":
        event.preventDefault();
        if (!isOpen()) {
          open();
          if (isOpen()) {
            choose(options.length - 1);
          }
        } else {
          choose(active > 0 ? active - 1 : options.length - 1);
        }
        break;
      case "Enter":
        if (isOpen() && active >= 0) {
          event.preventDefault();
          window.location.assign(options[active].href);
        }
        break;
      case "Escape":
      case "Esc":
        if (isOpen()) {
          // Closes the list only (the box keeps its text).
          event.preventDefault();
          close();
        }
        break;
      case "Tab":
        close();
        break;
    }
  });

  // Pressing on a suggestion must not take the focus from the box (its blur
  // would close the list before the click lands); the click then follows
  // the link, by mouse, pen or touch.
  listbox.addEventListener("mousedown", function (event) {
    event.preventDefault();
  });

  input.addEventListener("blur", function () {
    close();
  });

  // Back to this page from the history: the list is not left open.
  window.addEventListener("pageshow", close);

  input.addEventListener("focus", function () {
    if (input.value.trim() && input.value.trim() === shownQuery) {
      open();
    }
  });
})();

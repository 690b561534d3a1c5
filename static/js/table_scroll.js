// Tables in a page body scroll inside their own region
// (wiki.rendering.wrap_tables). Without this script the region still
// scrolls, is reached by Tab and shows edge shadows; with it, a table wider
// than its box also gets a line of text above it saying so. The line is
// hidden from screen readers: the region's label already says it scrolls.
(function () {
  "use strict";
  var regions = document.querySelectorAll(".table-scroll[role=region]");
  if (!regions.length) {
    return;
  }

  function hintFor(region) {
    var hint = region.previousElementSibling;
    if (hint && hint.classList.contains("table-scroll-hint")) {
      return hint;
    }
    hint = document.createElement("p");
    hint.className = "table-scroll-hint";
    hint.setAttribute("aria-hidden", "true");
    hint.textContent = "Scroll sideways to see the whole table \u2192";
    region.parentNode.insertBefore(hint, region);
    return hint;
  }

  function update(region) {
    // One pixel of slack: widths are rounded differently at some zoom levels.
    var overflows = region.scrollWidth > region.clientWidth + 1;
    region.classList.toggle("is-overflowing", overflows);
    hintFor(region).hidden = !overflows;
  }

  Array.prototype.forEach.call(regions, update);
  if (window.ResizeObserver) {
    var observer = new ResizeObserver(function (entries) {
      entries.forEach(function (entry) {
        update(entry.target);
      });
    });
    Array.prototype.forEach.call(regions, function (region) {
      observer.observe(region);
    });
  }
})();

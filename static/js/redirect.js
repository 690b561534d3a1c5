/* After a redirect to a section ("#REDIRECT [[Page#Section]]"), show that
   section: put its anchor in the address bar and scroll to it. A reader who
   already chose a section (a hash in the address) keeps it. */
(function () {
  "use strict";
  var article = document.querySelector("[data-redirect-anchor]");
  if (!article || window.location.hash) {
    return;
  }
  var anchor = article.getAttribute("data-redirect-anchor");
  var section = document.getElementById(anchor);
  if (!section) {
    return;
  }
  if (window.history && window.history.replaceState) {
    window.history.replaceState(window.history.state, "", "#" + encodeURIComponent(anchor));
  }
  section.scrollIntoView();
})();

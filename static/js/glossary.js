// Glossary terms on a page: a small popover with the definition.
// Without JavaScript each term is a plain link to its glossary entry, and
// screen readers announce the definition through aria-describedby either way.
// With it, a term opens its popover on mouse hover, on click or tap, and on
// Enter or Space; Escape (or a click elsewhere) closes it.
(function () {
  "use strict";

  var terms = document.querySelectorAll("a.glossary-term[aria-describedby]");
  if (!terms.length) {
    return;
  }
  var MARGIN = 8;
  // A span (phrasing content): it is moved next to the open term, so that Tab
  // goes from the term to the popover's link.
  var popover = document.createElement("span");
  popover.id = "glossary-popover";
  popover.className = "glossary-popover";
  popover.hidden = true;
  var definition = document.createElement("span");
  definition.className = "glossary-popover-definition";
  var more = document.createElement("a");
  more.className = "glossary-popover-more";
  more.textContent = "More in the glossary";
  // A link always has somewhere to go (crawlers and "open in new tab" too):
  // the glossary itself until a term is opened.
  more.href = terms[0].getAttribute("href").split("#")[0];
  popover.appendChild(definition);
  popover.appendChild(more);
  document.body.appendChild(popover);

  var current = null; // the term whose popover is open
  var pinned = false; // opened by click, tap or key: stays until closed
  var closeTimer = null;

  function place(term) {
    var rect = term.getBoundingClientRect();
    var width = Math.min(popover.offsetWidth, document.documentElement.clientWidth - 2 * MARGIN);
    var left = Math.min(
      Math.max(MARGIN, rect.left),
      document.documentElement.clientWidth - width - MARGIN
    );
    var top = rect.bottom + 6;
    if (top + popover.offsetHeight > window.innerHeight - MARGIN && rect.top > popover.offsetHeight + 12) {
      top = rect.top - popover.offsetHeight - 6;
    }
    popover.style.left = left + "px";
    popover.style.top = top + "px";
  }

  function open(term, byChoice) {
    clearTimeout(closeTimer);
    if (current && current !== term) {
      close(false);
    }
    var source = document.getElementById(term.getAttribute("aria-describedby"));
    definition.textContent = source ? source.textContent : "";
    more.href = term.getAttribute("href");
    more.setAttribute("aria-label", "More about " + term.textContent + " in the glossary");
    if (popover.previousSibling !== term) {
      term.insertAdjacentElement("afterend", popover);
    }
    current = term;
    pinned = pinned || byChoice;
    term.setAttribute("aria-expanded", "true");
    popover.hidden = false;
    place(term);
  }

  function close(returnFocus) {
    clearTimeout(closeTimer);
    if (!current) {
      return;
    }
    var term = current;
    term.setAttribute("aria-expanded", "false");
    popover.hidden = true;
    current = null;
    pinned = false;
    if (returnFocus) {
      term.focus();
    }
  }

  function closeSoon() {
    clearTimeout(closeTimer);
    if (!pinned) {
      closeTimer = setTimeout(function () { close(false); }, 300);
    }
  }

  terms.forEach(function (term) {
    // A button now: it opens the popover, whose link leads to the glossary.
    term.setAttribute("role", "button");
    term.setAttribute("aria-expanded", "false");
    term.setAttribute("aria-controls", popover.id);
    term.addEventListener("click", function (event) {
      event.preventDefault();
      if (current === term && pinned) {
        close(false);
      } else {
        open(term, true);
      }
    });
    term.addEventListener("keydown", function (event) {
      if (event.key === " ") {
        event.preventDefault();
        term.click();
      }
    });
    // Hover by mouse only: a tap also sends pointer events, and its click
    // decides alone.
    term.addEventListener("pointerenter", function (event) {
      if (event.pointerType === "mouse") {
        open(term, false);
      }
    });
    term.addEventListener("pointerleave", function (event) {
      if (event.pointerType === "mouse") {
        closeSoon();
      }
    });
  });

  popover.addEventListener("pointerenter", function () { clearTimeout(closeTimer); });
  popover.addEventListener("pointerleave", function (event) {
    if (event.pointerType === "mouse") {
      closeSoon();
    }
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && current) {
      close(popover.contains(document.activeElement) || document.activeElement === current);
    }
  });
  document.addEventListener("click", function (event) {
    if (current && !popover.contains(event.target) && event.target !== current) {
      close(false);
    }
  });
  // Tab from an open term goes into its popover's link, then on past the term.
  popover.addEventListener("focusout", function (event) {
    if (current && !popover.contains(event.relatedTarget) && event.relatedTarget !== current) {
      close(false);
    }
  });
  function follow() {
    if (current) {
      place(current);
    }
  }
  window.addEventListener("resize", follow);
  window.addEventListener("scroll", follow, { passive: true, capture: true });
})();

// "Was this information useful?": send the vote without leaving the page.
// Without JavaScript the form posts and the server redirects back.
(function () {
  "use strict";

  function pluralVotes(total) {
    return total === 1 ? "vote" : "votes";
  }

  function showAnswer(form, data) {
    var totalNode = form.querySelector("[data-vote-total]");
    var statusNode = form.querySelector("[data-vote-status]");
    if (totalNode && typeof data.total === "number") {
      totalNode.textContent = String(data.total);
      totalNode.parentNode.lastChild.textContent = " " + pluralVotes(data.total) + ")";
    }
    if (statusNode) {
      statusNode.textContent = data.message || data.error || "";
    }
    // After a "no", offer the reasons (a plain form, posted without script).
    var reasonForm = form.parentNode.querySelector("[data-vote-reason]");
    if (reasonForm && typeof data.ask_reason === "boolean") {
      reasonForm.hidden = !data.ask_reason;
    }
  }

  function send(form, value) {
    var body = new FormData(form);
    body.set("useful", value);
    return fetch(form.action, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-Requested-With": "XMLHttpRequest", Accept: "application/json" },
    }).then(function (response) {
      return response.json().catch(function () {
        return { error: "Sorry, your answer could not be saved. Please try again." };
      });
    });
  }

  document.querySelectorAll("form.vote-form").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      var button = event.submitter;
      if (!button || !button.value || !window.fetch) {
        return; // let the browser post the form
      }
      event.preventDefault();
      form.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
      send(form, button.value)
        .then(function (data) { showAnswer(form, data); })
        .catch(function () {
          showAnswer(form, { error: "Sorry, your answer could not be sent. Please try again." });
        })
        .finally(function () {
          form.querySelectorAll("button").forEach(function (b) { b.disabled = false; });
        });
    });
  });
})();

/* The console's own script: keyboard moderation of the queue and htmx glue.
 * Loaded from the same origin (CSP script-src 'self'); no inline handlers anywhere.
 * Every page works without it: forms post and redirect as plain HTML. */
(function () {
  "use strict";

  var CARD = "[data-comment-id]";
  var pendingIndex = null;

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function cards() {
    var queue = document.querySelector("[data-queue]");
    return queue ? Array.prototype.slice.call(queue.querySelectorAll(CARD)) : [];
  }

  function currentCard() {
    var active = document.activeElement;
    var card = active && active.closest ? active.closest(CARD) : null;
    if (card && card.closest("[data-queue]")) {
      return card;
    }
    return null;
  }

  function focusCard(card) {
    if (card) {
      card.focus();
      card.scrollIntoView({block: "nearest"});
    }
  }

  function move(step) {
    var list = cards();
    if (!list.length) {
      return;
    }
    var card = currentCard();
    var index = card ? list.indexOf(card) + step : 0;
    focusCard(list[Math.max(0, Math.min(list.length - 1, index))]);
  }

  function decide(decision) {
    var card = currentCard() || cards()[0];
    if (!card) {
      return;
    }
    var button = card.querySelector('[data-decision="' + decision + '"]');
    if (button && !button.disabled) {
      pendingIndex = cards().indexOf(card);
      button.click();
    }
  }

  function typing(target) {
    var tag = target && target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable);
  }

  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey) {
      return;
    }
    var target = event.target;
    if (target && target.matches && target.matches("[data-reason]")) {
      if (event.key === "Escape") {
        event.preventDefault();
        focusCard(target.closest(CARD));
      } else if (event.key === "Enter") {
        event.preventDefault(); // a reason is typed, then a or r decides
        focusCard(target.closest(CARD));
      }
      return;
    }
    if (typing(target) || !document.querySelector("[data-queue]")) {
      return;
    }
    var handled = true;
    switch (event.key) {
      case "j": move(1); break;
      case "k": move(-1); break;
      case "a": decide("approved"); break;
      case "r": decide("rejected"); break;
      case "e": {
        var card = currentCard() || cards()[0];
        var reason = card && card.querySelector("[data-reason]");
        if (reason) { reason.focus(); } else { handled = false; }
        break;
      }
      default: handled = false;
    }
    if (handled) {
      event.preventDefault();
    }
  });

  // htmx: the CSRF token on every request, and where the queue stands (for the next card).
  document.addEventListener("htmx:configRequest", function (event) {
    event.detail.headers["X-CSRFToken"] = csrfToken();
    var elt = event.detail.elt;
    if (elt && elt.closest && elt.closest("[data-queue]")) {
      var ids = cards().map(function (c) { return parseInt(c.getAttribute("data-comment-id"), 10); });
      if (ids.length) {
        event.detail.parameters.after = String(Math.max.apply(null, ids));
      }
      if (pendingIndex === null) {
        var card = elt.closest(CARD);
        pendingIndex = card ? cards().indexOf(card) : 0;
      }
    }
  });

  // A refused decision (409 already decided, 422 bad input) comes back as the card with the
  // problem on it: show it instead of dropping it.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    if (status === 409 || status === 422 || status === 404 || status === 403) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  document.addEventListener("htmx:afterSettle", function () {
    if (pendingIndex === null) {
      return;
    }
    var list = cards();
    var index = pendingIndex;
    pendingIndex = null;
    if (list.length) {
      focusCard(list[Math.min(index, list.length - 1)]);
      return;
    }
    var queue = document.querySelector("[data-queue]");
    if (queue && !queue.querySelector("[data-queue-empty]")) {
      var note = document.createElement("p");
      note.className = "empty";
      note.setAttribute("data-queue-empty", "");
      note.setAttribute("tabindex", "-1");
      note.textContent = "Nothing more waiting.";
      queue.appendChild(note);
      note.focus();
    }
  });
})();

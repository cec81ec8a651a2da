/* The ranked ballot (templates/polls/_ranking_fields.html) as a list to put in order: drag an
   option by its handle (pointer events, so a finger works as well as a mouse), or use its Move
   up / Move down buttons; where a poll lets voters rank only some options, an Add / Remove
   button moves it between "Your ranking" and "Not ranked". Every move is announced. The page's
   rank_<id> selects stay the ballot: hidden, they are kept in step with the list and sent as
   they would be without this file. Loaded from 'self' with no inline code or style, as the
   Content-Security-Policy requires. */
(function () {
  "use strict";

  var EDGE_PX = 48;        // auto-scroll while dragging this close to the top or bottom
  var SCROLL_STEP_PX = 12;
  var ballots = 0;

  function element(tag, className, text) {
    var el = document.createElement(tag);
    if (className) el.className = className;
    if (text) el.textContent = text;
    return el;
  }

  // A button whose accessible name says what it does to which option ("Move Pizza up",
  // "Add Pizza to my ranking"): a symbol hidden from screen readers or the name's first word
  // shows, the rest is for screen readers only.
  function actionButton(className, symbol) {
    var button = element("button", "ranking-button " + className);
    button.type = "button";
    var shown = element("span", symbol ? "ranking-icon" : "ranking-button-text", symbol);
    if (symbol) shown.setAttribute("aria-hidden", "true");
    button.appendChild(shown);
    button.appendChild(element("span", "visually-hidden"));
    return button;
  }

  function nameButton(button, shown, rest) {
    if (shown !== null) button.querySelector(".ranking-button-text").textContent = shown;
    button.querySelector(".visually-hidden").textContent = rest;
  }

  function setUpRankingBallot(ballot) {
    var fields = ballot.querySelector("[data-ranking-fields]");
    var status = ballot.querySelector("[data-ranking-status]");
    if (!fields || !status || ballot.hasAttribute("data-ranking-enhanced")) return;
    ballot.setAttribute("data-ranking-enhanced", "");
    var n = ++ballots;
    var rankAll = fields.hasAttribute("data-rank-all");
    var entries = Array.prototype.map.call(
      fields.querySelectorAll("[data-ranking-option]"),
      function (row, index) {
        var select = row.querySelector("select");
        var label = row.querySelector("label");
        return {
          id: row.getAttribute("data-ranking-option"),
          label: (label ? label.textContent : select.name).trim(),
          select: select,
          index: index
        };
      }
    );
    if (!entries.length) return;
    var disabled = entries.some(function (entry) { return entry.select.disabled; });

    // --- The lists ---------------------------------------------------------------------------
    var root = element("div", "ranking" + (disabled ? " is-disabled" : ""));
    var rankedTitle = element("p", "ranking-heading", "Your ranking");
    rankedTitle.id = "ranking-" + n + "-ranked";
    var rankedList = element("ol", "ranking-list");
    rankedList.setAttribute("aria-labelledby", rankedTitle.id);
    var empty = element("p", "ranking-empty muted small",
      "Nothing ranked yet: add options from “Not ranked” below.");
    root.appendChild(rankedTitle);
    root.appendChild(rankedList);
    root.appendChild(empty);
    var unrankedSection = null, unrankedList = null, noneLeft = null;
    if (!rankAll) {
      unrankedSection = element("div", "ranking-unranked");
      var unrankedTitle = element("p", "ranking-heading", "Not ranked");
      unrankedTitle.id = "ranking-" + n + "-unranked";
      unrankedList = element("ul", "ranking-list");
      unrankedList.setAttribute("aria-labelledby", unrankedTitle.id);
      noneLeft = element("p", "ranking-empty muted small", "You have ranked every option.");
      unrankedSection.appendChild(unrankedTitle);
      unrankedSection.appendChild(unrankedList);
      unrankedSection.appendChild(noneLeft);
      root.appendChild(unrankedSection);
    }

    entries.forEach(function (entry) {
      var item = element("li", "ranking-item");
      item.setAttribute("data-ranking-item", entry.id);
      var handle = element("span", "ranking-handle");
      handle.setAttribute("aria-hidden", "true");
      var rank = element("span", "ranking-rank");
      var label = element("span", "ranking-label", entry.label);
      item.appendChild(handle);
      item.appendChild(rank);
      item.appendChild(label);
      entry.item = item;
      entry.rank = rank;
      if (!disabled) {
        var actions = element("span", "ranking-actions");
        entry.up = actionButton("ranking-move", "↑");
        entry.down = actionButton("ranking-move", "↓");
        nameButton(entry.up, null, "Move " + entry.label + " up");
        nameButton(entry.down, null, "Move " + entry.label + " down");
        entry.up.title = "Move up";
        entry.down.title = "Move down";
        entry.up.addEventListener("click", function () { moveBy(entry, -1, entry.up); });
        entry.down.addEventListener("click", function () { moveBy(entry, 1, entry.down); });
        actions.appendChild(entry.up);
        actions.appendChild(entry.down);
        if (!rankAll) {
          entry.toggle = actionButton("ranking-toggle", "");
          entry.toggle.addEventListener("click", function () { toggle(entry); });
          actions.appendChild(entry.toggle);
        }
        item.appendChild(actions);
        item.addEventListener("pointerdown", function (event) { dragStart(entry, event); });
      }
    });

    // The ballot as the selects hold it: ranked options by rank, then the rest as listed.
    entries.slice().sort(function (a, b) {
      var ra = Number(a.select.value) || Infinity, rb = Number(b.select.value) || Infinity;
      return ra === rb ? a.index - b.index : ra - rb;
    }).forEach(function (entry) {
      if (rankAll || entry.select.value) rankedList.appendChild(entry.item);
      else unrankedList.appendChild(entry.item);
    });

    fields.hidden = true;
    fields.parentNode.insertBefore(root, fields);
    var selectHint = ballot.querySelector("[data-ranking-select-hint]");
    var scriptHint = ballot.querySelector("[data-ranking-script-hint]");
    if (selectHint) selectHint.hidden = true;
    if (scriptHint) scriptHint.hidden = disabled;
    sync();

    // --- Reading and writing the ballot ------------------------------------------------------
    function entryOf(item) {
      for (var i = 0; i < entries.length; i++) if (entries[i].item === item) return entries[i];
      return null;
    }
    function inList(list) {
      return Array.prototype.map.call(list.children, entryOf).filter(Boolean);
    }
    function ranked() { return inList(rankedList); }
    function isRanked(entry) { return entry.item.parentNode === rankedList; }

    // The list is the truth while the script runs: the selects, numbers and buttons follow it.
    function sync() {
      var order = ranked();
      order.forEach(function (entry, i) {
        entry.select.value = String(i + 1);
        entry.rank.textContent = String(i + 1);
        entry.rank.hidden = false;
        entry.item.classList.add("is-ranked");
        if (!entry.up) return;
        entry.up.hidden = entry.down.hidden = false;
        entry.up.setAttribute("aria-disabled", String(i === 0));
        entry.down.setAttribute("aria-disabled", String(i === order.length - 1));
        if (entry.toggle) {
          nameButton(entry.toggle, "Remove", " " + entry.label + " from my ranking");
        }
      });
      if (unrankedList) {
        inList(unrankedList).forEach(function (entry) {
          entry.select.value = "";
          entry.rank.textContent = "";
          entry.rank.hidden = true;
          entry.item.classList.remove("is-ranked");
          if (!entry.up) return;
          entry.up.hidden = entry.down.hidden = true;
          nameButton(entry.toggle, "Add", " " + entry.label + " to my ranking");
        });
        noneLeft.hidden = unrankedList.children.length > 0;
      }
      empty.hidden = order.length > 0;
    }

    function say(text) {
      // The same words twice in a row are still read out: clear, then write on the next frame.
      status.textContent = "";
      window.setTimeout(function () { status.textContent = text; }, 50);
    }

    function rankText(entry) {
      return "rank " + (ranked().indexOf(entry) + 1) + " of " + ranked().length;
    }

    // Back among the unranked in the order the page listed them.
    function unrank(entry) {
      var next = inList(unrankedList).filter(function (other) {
        return other.index > entry.index;
      })[0];
      unrankedList.insertBefore(entry.item, next ? next.item : null);
    }

    // --- Buttons -----------------------------------------------------------------------------
    function moveBy(entry, delta, button) {
      var order = ranked();
      var from = order.indexOf(entry);
      var to = from + delta;
      if (from === -1) return;
      if (to < 0 || to >= order.length) {
        say(entry.label + " is already " + (delta < 0 ? "first" : "last") + ", at " +
          rankText(entry) + ".");
        return;
      }
      rankedList.insertBefore(entry.item, delta < 0 ? order[to].item : order[to].item.nextSibling);
      sync();
      // Moving a node takes focus off it; the voter keeps pressing the same button.
      button.focus();
      say(entry.label + " moved to " + rankText(entry) + ".");
    }

    function toggle(entry) {
      if (isRanked(entry)) {
        unrank(entry);
        sync();
        var left = ranked().length;
        say(entry.label + " removed from your ranking. " +
          (left ? left + " option" + (left === 1 ? "" : "s") + " ranked." : "Nothing is ranked."));
      } else {
        rankedList.appendChild(entry.item);
        sync();
        say(entry.label + " added at " + rankText(entry) + ".");
      }
      entry.toggle.focus();
    }

    // --- Dragging ----------------------------------------------------------------------------
    var drag = null;

    function dragStart(entry, event) {
      if (drag || event.button !== 0 || event.target.closest("button")) return;
      // A finger drags by the handle only, so a swipe elsewhere still scrolls the page.
      if (event.pointerType === "touch" && !event.target.closest(".ranking-handle")) return;
      event.preventDefault();
      drag = {
        entry: entry,
        pointerId: event.pointerId,
        wasRanked: isRanked(entry),
        from: ranked().indexOf(entry),
        before: ranked()
      };
      entry.item.classList.add("is-dragging");
      root.classList.add("is-sorting");
      document.addEventListener("pointermove", dragMove);
      document.addEventListener("pointerup", dragEnd);
      document.addEventListener("pointercancel", dragCancel);
      document.addEventListener("keydown", dragKey);
    }

    function dragMove(event) {
      if (!drag || event.pointerId !== drag.pointerId) return;
      // The button was let go outside the window: the drag ends where it is.
      if (event.pointerType === "mouse" && event.buttons === 0) { dragEnd(event); return; }
      event.preventDefault();
      var y = event.clientY;
      if (y < EDGE_PX) window.scrollBy(0, -SCROLL_STEP_PX);
      else if (y > window.innerHeight - EDGE_PX) window.scrollBy(0, SCROLL_STEP_PX);
      place(drag.entry, y);
    }

    // Where the pointer is: among the unranked (partial ballots), or before the first ranked
    // option whose middle is below it.
    function place(entry, y) {
      if (unrankedSection && y > unrankedSection.getBoundingClientRect().top) {
        if (isRanked(entry)) { unrank(entry); sync(); }
        return;
      }
      var before = null;
      var others = ranked().filter(function (other) { return other !== entry; });
      for (var i = 0; i < others.length; i++) {
        var box = others[i].item.getBoundingClientRect();
        if (y < box.top + box.height / 2) { before = others[i].item; break; }
      }
      if (entry.item.parentNode === rankedList && entry.item.nextSibling === before) return;
      rankedList.insertBefore(entry.item, before);
      sync();
    }

    function stop() {
      document.removeEventListener("pointermove", dragMove);
      document.removeEventListener("pointerup", dragEnd);
      document.removeEventListener("pointercancel", dragCancel);
      document.removeEventListener("keydown", dragKey);
      drag.entry.item.classList.remove("is-dragging");
      root.classList.remove("is-sorting");
      var done = drag;
      drag = null;
      return done;
    }

    function dragEnd(event) {
      if (!drag || event.pointerId !== drag.pointerId) return;
      var done = stop();
      var entry = done.entry;
      if (isRanked(entry)) {
        var to = ranked().indexOf(entry);
        if (!done.wasRanked) say(entry.label + " added at " + rankText(entry) + ".");
        else if (to !== done.from) say(entry.label + " moved to " + rankText(entry) + ".");
      } else if (done.wasRanked) {
        say(entry.label + " removed from your ranking.");
      }
    }

    // Escape, or the browser taking the pointer back (a scroll, a call): as it was before.
    function restore(done) {
      done.before.forEach(function (entry) { rankedList.appendChild(entry.item); });
      entries.forEach(function (entry) {
        if (done.before.indexOf(entry) === -1 && unrankedList) unrank(entry);
      });
      sync();
    }

    function dragCancel(event) {
      if (!drag || event.pointerId !== drag.pointerId) return;
      restore(stop());
    }

    function dragKey(event) {
      if (event.key !== "Escape" || !drag) return;
      event.preventDefault();
      var done = stop();
      restore(done);
      say("Move cancelled: " + done.entry.label + " is back where it was.");
    }
  }

  function setUpRankingBallots() {
    document.querySelectorAll("[data-ranking-ballot]").forEach(setUpRankingBallot);
  }

  document.addEventListener("DOMContentLoaded", setUpRankingBallots);
})();

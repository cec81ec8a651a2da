/* Votr's progressive enhancements. Every page works without this file; with it, times read in
   the viewer's time zone, results update live, and the create form edits rows in place.
   Loaded from 'self' with no inline code, as the Content-Security-Policy requires. */
(function () {
  "use strict";

  var LIVE_INTERVAL_MS = 4000;
  var MAX_DURATION_SECONDS = 30 * 86400;

  // --- Times ---------------------------------------------------------------------------------
  var absoluteFormat = new Intl.DateTimeFormat(undefined, {
    weekday: "short", day: "numeric", month: "short", year: "numeric",
    hour: "numeric", minute: "2-digit", timeZoneName: "short"
  });

  // Relative times in the server's words (Django's naturaltime, polls/templatetags/votr.py), so
  // the text does not change when the script takes over: "3 hours from now", "an hour ago",
  // "2 days, 5 hours ago". A number and its unit are joined by a no-break space, as Django does.
  var MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
  var CHUNKS = [["week", 604800], ["day", 86400], ["hour", 3600], ["minute", 60]];

  function amount(n, unit) { return n + "\u00a0" + unit + (n === 1 ? "" : "s"); }

  function timeOfDay(date) { return date.getTime() - Date.UTC(
    date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()); }

  // Django's timesince(earlier, later): calendar years and months, then weeks to minutes, at
  // most two adjacent units; in UTC, as on the server.
  function timeSince(earlier, later) {
    var months = (later.getUTCFullYear() - earlier.getUTCFullYear()) * 12 +
      later.getUTCMonth() - earlier.getUTCMonth();
    if (earlier.getUTCDate() > later.getUTCDate() || (earlier.getUTCDate() === later.getUTCDate() &&
        timeOfDay(earlier) > timeOfDay(later))) months -= 1;
    var years = Math.floor(months / 12);
    months -= years * 12;
    var pivot = earlier.getTime();
    if (years || months) {
      var year = earlier.getUTCFullYear() + years, month = earlier.getUTCMonth() + months;
      if (month > 11) { month -= 12; year += 1; }
      pivot = Date.UTC(year, month, Math.min(MONTH_DAYS[month], earlier.getUTCDate()),
        earlier.getUTCHours(), earlier.getUTCMinutes(), earlier.getUTCSeconds());
    }
    var remaining = (later.getTime() - pivot) / 1000;
    var parts = [["year", years], ["month", months]];
    CHUNKS.forEach(function (chunk) {
      var n = Math.floor(remaining / chunk[1]);
      parts.push([chunk[0], n]);
      remaining -= n * chunk[1];
    });
    var words = [];
    for (var i = 0; i < parts.length && words.length < 2; i++) {
      if (parts[i][1]) words.push(amount(parts[i][1], parts[i][0]));
      else if (words.length) break;
    }
    return words.length ? words.join(", ") : amount(0, "minute");
  }

  function relativeText(date, now) {
    now = new Date(now || Date.now());
    var seconds = (date.getTime() - now.getTime()) / 1000;
    var future = seconds > 0;
    var size = Math.floor(Math.abs(seconds));
    // Seconds are not counted: the text is refreshed every 30 seconds.
    if (size < 60) return future ? "in less than a minute" : "just now";
    var text;
    if (size >= 86400) {
      text = future ? timeSince(now, date) : timeSince(date, now);
    } else if (size >= 3600) {
      text = size < 7200 ? "an hour" : amount(Math.floor(size / 3600), "hour");
    } else {
      text = size < 120 ? "a minute" : amount(Math.floor(size / 60), "minute");
    }
    return text + (future ? " from now" : " ago");
  }

  function refreshTimes(root) {
    (root || document).querySelectorAll("time[data-relative]").forEach(function (el) {
      var date = new Date(el.getAttribute("datetime"));
      if (isNaN(date)) return;
      el.textContent = relativeText(date);
      el.title = absoluteFormat.format(date);
    });
    (root || document).querySelectorAll("time[data-absolute]").forEach(function (el) {
      var date = new Date(el.getAttribute("datetime"));
      if (!isNaN(date)) el.textContent = absoluteFormat.format(date);
    });
  }

  // --- Share link ----------------------------------------------------------------------------
  function setUpCopy() {
    document.querySelectorAll("[data-copy]").forEach(function (button) {
      var input = document.querySelector(button.getAttribute("data-copy"));
      var status = document.querySelector("[data-copy-status]");
      if (!input) return;
      button.hidden = false;
      button.addEventListener("click", function () {
        function done() {
          button.textContent = "Copied!";
          if (status) status.textContent = "Link copied to the clipboard.";
          setTimeout(function () { button.textContent = "Copy link"; }, 2000);
        }
        input.select();
        if (navigator.clipboard && window.isSecureContext) {
          navigator.clipboard.writeText(input.value).then(done, function () {
            document.execCommand("copy"); done();
          });
        } else {
          document.execCommand("copy");
          done();
        }
      });
    });
  }

  // The phone's own share sheet, where the browser has one (the button stays hidden elsewhere).
  function setUpShare() {
    if (!navigator.share) return;
    document.querySelectorAll("[data-share]").forEach(function (button) {
      var input = document.querySelector(button.getAttribute("data-share"));
      var status = document.querySelector("[data-copy-status]");
      if (!input) return;
      var data = { title: button.getAttribute("data-share-title") || document.title, url: input.value };
      if (navigator.canShare && !navigator.canShare(data)) return;
      button.hidden = false;
      button.addEventListener("click", function () {
        navigator.share(data).catch(function (error) {
          // Closing the sheet is not a failure; anything else is said, next to the copy button.
          if (error && error.name !== "AbortError" && status) {
            status.textContent = "Could not open the share sheet: copy the link instead.";
          }
        });
      });
    });
  }

  // --- Live results --------------------------------------------------------------------------
  function plural(n) { return n === 1 ? "" : "s"; }

  function setUpLiveResults() {
    var poll = document.querySelector("[data-poll][data-live]");
    if (!poll || !window.fetch) return;
    var url = poll.getAttribute("data-results-url");
    var announce = poll.querySelector("[data-announce]");
    var totalEl = poll.querySelector("[data-total]");
    var lastTotal = totalEl ? Number(totalEl.textContent) : 0;
    var timer = null;
    // A ranked poll's rounds and head-to-head table are drawn by the server: a change to the
    // ballots shows a notice to reload rather than redrawing them here.
    var ranked = poll.querySelector("[data-ranked]");
    var stale = poll.querySelector("[data-ranked-stale]");
    var lastRanked = null;

    function rankedChanged(data) {
      // Before the counters are updated: any that differs from the page is a change, as is
      // a new `ranked` tally (when results.json has one) since the last answer.
      var changed = data.total_votes !== lastTotal;
      data.options.forEach(function (option) {
        var votes = poll.querySelector('.result[data-option-id="' + option.id + '"] [data-votes]');
        if (votes && option.votes !== null && Number(votes.textContent) !== option.votes) changed = true;
      });
      if (data.ranked !== undefined && data.ranked !== null) {
        var seen = JSON.stringify(data.ranked);
        if (lastRanked !== null && seen !== lastRanked) changed = true;
        lastRanked = seen;
      }
      return changed;
    }

    function showRankedStale() {
      if (!stale || !stale.hidden) return;
      stale.hidden = false;
      if (announce) announce.textContent = "New ballots: reload the page to see the rounds.";
    }

    function hideCounts() {
      // Hidden since the page was drawn (a new visibility setting, a permission taken back):
      // the counts leave the page rather than showing "null votes" or stale numbers.
      var counts = poll.querySelectorAll(
        ".result-count, .result progress, .total, [data-ranked-details], [data-ranked-stale]");
      Array.prototype.forEach.call(counts, function (el) { el.parentNode.removeChild(el); });
      var note = poll.querySelector("[data-live-note]");
      if (note) note.textContent = "The results are hidden now; reload the page to see when they appear.";
      stop();
    }

    function apply(data) {
      if (data.total_votes === null) { hideCounts(); return; }
      var rankedStale = ranked && rankedChanged(data);
      data.options.forEach(function (option) {
        // .result: only the results' rows, never a ballot's.
        var row = poll.querySelector('.result[data-option-id="' + option.id + '"]');
        if (!row || option.votes === null) return;
        row.querySelector("[data-votes]").textContent = option.votes;
        row.querySelector("[data-plural]").textContent = plural(option.votes);
        row.querySelector("[data-percent]").textContent = String(option.percent).replace(/\.0$/, "");
        row.querySelector("progress").value = option.percent;
      });
      if (totalEl) totalEl.textContent = data.total_votes;
      var totalPlural = poll.querySelector("[data-total-plural]");
      if (totalPlural) totalPlural.textContent = plural(data.total_votes);
      // Multiple choice: the total counts voters, and the note says shares are of them.
      var voters = poll.querySelector("[data-voters]");
      if (voters) voters.textContent = data.total_votes;
      var votersPlural = poll.querySelector("[data-voters-plural]");
      if (votersPlural) votersPlural.textContent = plural(data.total_votes);
      var nounEl = poll.querySelector("[data-total-noun]");
      var noun = nounEl ? nounEl.getAttribute("data-total-noun") : "vote";
      if (data.total_votes !== lastTotal && announce) {
        announce.textContent = "Results updated: " + data.total_votes + " " + noun +
          plural(data.total_votes) + " in total.";
      }
      lastTotal = data.total_votes;
      if (rankedStale) showRankedStale();
      if (!data.is_open) {
        var status = poll.querySelector("[data-poll-status]");
        var note = poll.querySelector("[data-live-note]");
        var badge = poll.querySelector(".badge-open");
        if (status) {
          // Past its closing time the poll is closed even before the close is recorded.
          var ended = data.closed_at || data.closes_at;
          status.textContent = "Closed on " + absoluteFormat.format(new Date(ended));
        }
        if (badge) { badge.textContent = "Closed"; badge.className = "badge badge-closed"; }
        if (note) note.textContent = "This poll is closed; these are the final results.";
        stop();
      }
    }

    function tick() {
      if (document.hidden) return;
      // "no-cache": the browser asks with the ETag it kept, and an unchanged poll costs a 304.
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin", cache: "no-cache" })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) { if (data) apply(data); })
        .catch(function () { /* offline for a moment: the next tick tries again */ });
    }
    function stop() { if (timer) clearInterval(timer); timer = null; }

    timer = setInterval(tick, LIVE_INTERVAL_MS);
    document.addEventListener("visibilitychange", function () { if (!document.hidden && timer) tick(); });
  }

  // --- Multiple choice -----------------------------------------------------------------------
  // Says how many options are chosen and, at the most the poll takes, disables the others. A
  // nicety only: the server checks every ballot.
  function setUpChoiceLimits() {
    document.querySelectorAll("[data-choice-limits]").forEach(function (form) {
      var max = Number(form.getAttribute("data-max-choices"));
      var min = Number(form.getAttribute("data-min-choices"));
      var boxes = Array.prototype.slice.call(form.querySelectorAll('input[type="checkbox"]'));
      var status = form.querySelector("[data-choice-count]");
      if (!max || !boxes.length || boxes[0].disabled) return;

      function update() {
        var chosen = boxes.filter(function (box) { return box.checked; }).length;
        var full = chosen >= max;
        boxes.forEach(function (box) { if (!box.checked) box.disabled = full; });
        if (!status) return;
        status.hidden = false;
        var text = chosen + " of " + max + " chosen.";
        if (full) text += " That is the most this poll takes: uncheck one to choose another.";
        else if (chosen < min) text += " Choose at least " + min + ".";
        status.textContent = text;
      }

      form.addEventListener("change", update);
      update();
    });
  }

  // --- Create form ---------------------------------------------------------------------------
  function setUpPollForm() {
    var form = document.querySelector("[data-poll-form]");
    if (!form) return;
    var list = form.querySelector("[data-option-rows]");
    var addButton = form.querySelector("[data-add-option]");
    var datalist = document.getElementById("label-suggestions");
    var max = Number(form.getAttribute("data-max-options")) || 20;
    var labelsUrl = form.getAttribute("data-labels-url");
    var preview = document.querySelector("[data-preview]");

    function rows() { return Array.prototype.slice.call(list.querySelectorAll("[data-option-row]")); }

    function renumber() {
      var all = rows();
      all.forEach(function (row, index) {
        var n = index + 1;
        var input = row.querySelector("[data-option-input]");
        var label = row.querySelector("[data-option-label]");
        var remove = row.querySelector("[data-remove-option]");
        input.id = "option-" + n;
        input.placeholder = "Option " + n;
        label.htmlFor = input.id;
        label.textContent = "Option " + n;
        remove.value = String(index);
        remove.querySelector(".visually-hidden").textContent = "Remove option " + n;
        remove.disabled = all.length <= 2;
      });
      addButton.disabled = all.length >= max;
      updatePreview();
    }

    addButton.addEventListener("click", function (event) {
      event.preventDefault();
      var all = rows();
      if (all.length >= max) return;
      var row = all[all.length - 1].cloneNode(true);
      row.querySelector("[data-option-input]").value = "";
      list.appendChild(row);
      renumber();
      row.querySelector("[data-option-input]").focus();
    });

    list.addEventListener("click", function (event) {
      var remove = event.target.closest("[data-remove-option]");
      if (!remove) return;
      event.preventDefault();
      var all = rows();
      if (all.length <= 2) return;
      var row = remove.closest("[data-option-row]");
      var index = all.indexOf(row);
      row.remove();
      renumber();
      var next = rows()[Math.min(index, rows().length - 1)];
      next.querySelector("[data-option-input]").focus();
    });

    // Autocomplete: labels used before on the site, fetched as you type.
    var pending = null;
    list.addEventListener("input", function (event) {
      if (!event.target.matches("[data-option-input]") || !labelsUrl) return;
      var query = event.target.value.trim();
      clearTimeout(pending);
      if (!query) return;
      pending = setTimeout(function () {
        fetch(labelsUrl + "?q=" + encodeURIComponent(query), { credentials: "same-origin" })
          .then(function (response) { return response.ok ? response.json() : { labels: [] }; })
          .then(function (data) {
            var taken = rows().map(function (row) {
              return row.querySelector("[data-option-input]").value.trim().toLowerCase();
            });
            datalist.textContent = "";
            data.labels.forEach(function (label) {
              if (taken.indexOf(label.toLowerCase()) !== -1) return;
              var option = document.createElement("option");
              option.value = label;
              datalist.appendChild(option);
            });
          })
          .catch(function () {});
      }, 150);
    });

    // Live preview of the poll card and of the closing time.
    function duration() {
      function read(name) {
        var input = form.querySelector('[data-duration="' + name + '"]');
        var value = input ? parseInt(input.value, 10) : NaN;
        return isNaN(value) || value < 0 ? 0 : value;
      }
      return ((read("days") * 24 + read("hours")) * 60 + read("minutes")) * 60;
    }

    function closesOnText() {
      var at = form.querySelector('[data-closing-choice="at"]');
      var input = form.querySelector("[data-closes-on]");
      if (!at || !at.checked || !input) return null;
      var zone = form.querySelector("[data-time-zone]");
      return input.value ? "Closes " + input.value.replace("T", " ") + " (" + zone.value + ")"
        : "Pick the date and time it closes";
    }

    function updatePreview() {
      var now = Date.now();
      var closesAt = new Date(now + duration() * 1000);
      var closesPreview = form.querySelector("[data-closes-preview]");
      if (closesPreview) {
        closesPreview.textContent = duration() > 0
          ? "If you create it now, it closes " + absoluteFormat.format(closesAt) + "."
          : "Pick at least 1 minute.";
      }
      if (!preview) return;
      var title = form.querySelector("[data-preview-title]").value.trim();
      var question = preview.querySelector("[data-preview-question]");
      question.textContent = title || "Your question";
      question.classList.toggle("placeholder", !title);
      var description = form.querySelector("[data-preview-description]");
      var descriptionText = preview.querySelector("[data-preview-description-text]");
      if (description && descriptionText) {
        descriptionText.textContent = description.value.trim();
        descriptionText.hidden = !description.value.trim();
      }
      preview.querySelector("[data-preview-closes]").textContent = closesOnText() ||
        (duration() > 0 ? "Closes " + relativeText(closesAt, now) : "Pick a closing time");
      var options = preview.querySelector("[data-preview-options]");
      var multiple = form.querySelector("[data-multiple]");
      options.classList.toggle("is-multiple", Boolean(multiple && multiple.checked));
      options.textContent = "";
      rows().forEach(function (row, index) {
        var value = row.querySelector("[data-option-input]").value.trim();
        var item = document.createElement("li");
        item.textContent = value || "Option " + (index + 1);
        if (!value) item.className = "placeholder";
        options.appendChild(item);
      });
    }

    // The server's messages: each goes, with its field's aria-invalid, once the field passes
    // what the browser can check. The server checks everything again on submit.
    function wholeNumber(name) {
      var input = form.querySelector('[data-duration="' + name + '"]');
      return /^\d+$/.test(input.value.trim()) && Number(input.value) <= Number(input.max);
    }
    var fixed = {
      title: function () { return form.querySelector("[data-preview-title]").value.trim() !== ""; },
      options: function () {
        var seen = Object.create(null);
        var labels = rows().map(function (row) {
          return row.querySelector("[data-option-input]").value.trim().toLowerCase();
        }).filter(Boolean);
        return labels.length >= 2 && labels.length <= max && labels.every(function (label) {
          var fresh = !seen[label];
          seen[label] = true;
          return fresh;
        });
      },
      // Days also carries the rule on the whole duration (1 minute to 30 days).
      days: function () {
        return wholeNumber("days") && duration() >= 60 && duration() <= MAX_DURATION_SECONDS;
      },
      hours: function () { return wholeNumber("hours"); },
      minutes: function () { return wholeNumber("minutes"); }
    };

    function clearFixedErrors() {
      form.querySelectorAll("[data-error-for]").forEach(function (error) {
        var name = error.getAttribute("data-error-for");
        if (!fixed[name] || !fixed[name]()) return;
        var list = error.parentNode;
        error.remove();
        form.querySelectorAll('[name="' + name + '"][aria-invalid]').forEach(function (input) {
          input.removeAttribute("aria-invalid");
        });
        if (!list.querySelector("li")) {
          form.querySelectorAll('[aria-describedby="' + list.id + '"]').forEach(function (el) {
            el.removeAttribute("aria-describedby");
          });
          list.remove();
        }
      });
      var summary = form.querySelector("[data-error-summary]");
      if (summary && !form.querySelector("[data-error-for]")) summary.remove();
    }

    if (preview) preview.hidden = false;
    form.addEventListener("input", function () { updatePreview(); clearFixedErrors(); });
    form.addEventListener("change", updatePreview);
    list.addEventListener("click", function (event) {
      if (event.target.closest("[data-remove-option]")) clearFixedErrors();
    });
    renumber();
  }

  // --- Closing time and choice limits (create and manage pages) ------------------------------
  function setUpClosingPickers() {
    document.querySelectorAll("[data-closing]").forEach(function (fieldset) {
      // Typing in either way of giving the time chooses it.
      fieldset.querySelectorAll("[data-closing-group]").forEach(function (group) {
        var choice = fieldset.querySelector('[data-closing-choice="' +
          group.getAttribute("data-closing-group") + '"]');
        group.addEventListener("input", function () {
          if (choice && !choice.checked) {
            choice.checked = true;
            choice.dispatchEvent(new Event("change", { bubbles: true }));
          }
        });
      });
      var zone = fieldset.querySelector("[data-detect-zone]");
      var browserZone = window.Intl && Intl.DateTimeFormat().resolvedOptions().timeZone;
      if (zone && browserZone) {
        var known = Array.prototype.some.call(zone.options, function (option) {
          return option.value === browserZone;
        });
        if (known) zone.value = browserZone;
      }
    });
  }

  // The create and manage pages: the min/max fields show while "several options" is ticked;
  // a ranked poll has no limits, and only a ranked poll asks voters to rank every option.
  function setUpChoiceLimitFields() {
    var multiple = document.querySelector("[data-multiple]");
    var limits = document.querySelector("[data-choice-limits]");
    if (!multiple || !limits) return;
    var method = document.querySelector("[data-voting-method]");
    var chosenOnly = document.querySelectorAll("[data-chosen-only]");
    var rankedOnly = document.querySelectorAll("[data-ranked-only]");
    function ranked() {
      var checked = method && method.querySelector("input:checked");
      return Boolean(checked) && checked.value === "ranked";
    }
    function show() {
      var isRanked = ranked();
      chosenOnly.forEach(function (element) { element.hidden = isRanked; });
      rankedOnly.forEach(function (element) { element.hidden = !isRanked; });
      // Errors stay in view: they are about what was sent.
      limits.hidden = (isRanked || !multiple.checked) && !limits.querySelector("[data-error-for]");
    }
    multiple.addEventListener("change", show);
    if (method) method.addEventListener("change", show);
    show();
  }

  document.addEventListener("DOMContentLoaded", function () {
    refreshTimes();
    setInterval(refreshTimes, 30000);
    setUpCopy();
    setUpShare();
    setUpLiveResults();
    setUpChoiceLimits();
    setUpPollForm();
    setUpClosingPickers();
    setUpChoiceLimitFields();
  });
})();

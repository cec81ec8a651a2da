// The vote form's anti-spam check: ALTCHA's CSP-friendly build ships no workers of its own,
// so the one for the algorithm Votr's challenges use is registered here, from our own static
// files (templates/polls/_challenge.html says where).
(function () {
  "use strict";
  document.querySelectorAll("[data-needs-script]").forEach(function (notice) {
    notice.hidden = true;
  });
  var box = document.querySelector("[data-challenge]");
  if (!box || !window.$altcha) {
    return;
  }
  var workerUrl = box.getAttribute("data-worker-url");
  window.$altcha.algorithms.set("PBKDF2/SHA-256", function () {
    return new Worker(workerUrl);
  });
})();

/* Progressive enhancement of the student site: every page works without this file.
   Votes in place (fetch, JSON), copying the share link, a preview of the chosen photo. */
(function () {
  "use strict";
  var signedIn = document.body.getAttribute("data-signed-in") === "1";

  function byTestId(id) { return document.querySelector('[data-testid="' + id + '"]'); }

  document.querySelectorAll("form[data-vote]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!signedIn || !window.fetch || !window.FormData) return; // the plain POST signs in first
      event.preventDefault();
      var button = form.querySelector("button");
      if (button.classList.contains("busy")) return;
      button.classList.add("busy");
      fetch(form.action, {
        method: "POST", body: new FormData(form), credentials: "same-origin",
        headers: { "Accept": "application/json" }
      }).then(function (response) {
        return response.json();
      }).then(function (data) {
        if (data.login_url) { window.location.href = data.login_url; return; }
        var message = byTestId("vote-message");
        message.textContent = data.message;
        message.className = "msg " + (data.ok ? "ok" : "error");
        var remaining = byTestId("remaining-today");
        if (remaining && typeof data.remaining_today === "number") {
          remaining.textContent = String(data.remaining_today);
        }
        var count = byTestId("vote-count");
        if (data.ok && count) count.textContent = String(parseInt(count.textContent, 10) + 1);
      }).catch(function () {
        form.submit(); // a network hiccup: fall back to the plain form
      }).then(function () { button.classList.remove("busy"); });
    });
  });

  var copy = document.querySelector("[data-copy]"), url = document.querySelector("[data-share-url]");
  if (copy && url && navigator.clipboard) {
    copy.hidden = false;
    copy.addEventListener("click", function () {
      navigator.clipboard.writeText(url.value).then(function () {
        copy.textContent = copy.getAttribute("data-done") || "✓";
      });
    });
  }
  if (url) url.addEventListener("focus", function () { url.select(); });

  var current = document.querySelector(".rounds [aria-current]");
  if (current && current.scrollIntoView) current.scrollIntoView({ block: "nearest", inline: "center" });

  var file = document.querySelector('input[type="file"]'), preview = document.querySelector("[data-preview]");
  if (file && preview && window.URL) {
    file.addEventListener("change", function () {
      if (!file.files || !file.files[0]) { preview.hidden = true; return; }
      preview.src = URL.createObjectURL(file.files[0]);
      preview.hidden = false;
    });
  }
})();

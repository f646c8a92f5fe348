// The admin's few behaviours, from a file: the Content-Security-Policy runs no inline
// script or event handler (config/settings/base.py, docs/security.md).
document.addEventListener("DOMContentLoaded", function () {
  // The language switch in the header submits as soon as a language is picked.
  var select = document.querySelector("#language-switch select");
  if (select) {
    select.addEventListener("change", function () {
      select.form.submit();
    });
  }
});

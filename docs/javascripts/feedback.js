/* 这页有帮助吗？ (overrides/partials/feedback.html): a button answer shows its
 * note and ends the question; nothing is sent anywhere. Loaded after the first
 * paint with Material's scripts; document$ runs it again for every page that
 * instant navigation shows. */
document$.subscribe(function () {
  var form = document.forms.feedback;
  if (!form) return;
  form.querySelectorAll("button[data-md-value]").forEach(function (button) {
    button.addEventListener("click", function () {
      var note = form.querySelector(".md-feedback__note [data-md-value='" + button.dataset.mdValue + "']");
      if (note) note.hidden = false;
      form.firstElementChild.disabled = true;
    });
  });
});

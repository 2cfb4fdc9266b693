// A form sent once stays sent: a second click while the page still waits for the server (a
// double click, an impatient click on a busy server) does not send it again. The buttons stay
// enabled, so the clicked button's name and value still go with the form; coming back to the
// page (the browser's back button) lets it be sent again. A button with data-confirm sends the
// form only once its question is answered yes.
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if ((form.getAttribute("method") || "get").toLowerCase() !== "post") {
      return;
    }
    if (form.dataset.sent === "1") {
      event.preventDefault();
      return;
    }
    // An irreversible decision asks first: the clicked button's data-confirm is the question.
    var question = event.submitter && event.submitter.dataset.confirm;
    if (question && !window.confirm(question)) {
      event.preventDefault();
      return;
    }
    form.dataset.sent = "1";
    form.classList.add("sending");
  });
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form[data-sent]").forEach(function (form) {
      delete form.dataset.sent;
      form.classList.remove("sending");
    });
  });
})();

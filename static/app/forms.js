// Plain forms everywhere (a script file, so the Content-Security-Policy can forbid inline
// scripts):
// - a form sent once is not sent again by a second click while the page is leaving
//   (a double click on "Start the handover" sent two departures); going back to the page
//   (the browser's page cache) makes it sendable again;
// - a form with data-confirm asks first (cancelling a departure closes every task);
// - a part of a page sent by htmx after the session has ended (answered 401 by
//   retention.partials) keeps what was typed and says why nothing happened, instead of
//   showing the sign-in page inside the form.
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (event.defaultPrevented || !(form instanceof HTMLFormElement)) return;
  if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
    event.preventDefault();
    return;
  }
  if ((form.method || "get").toLowerCase() !== "post" || form.hasAttribute("hx-post")) return;
  if (form.dataset.sending) {
    event.preventDefault();
    return;
  }
  form.dataset.sending = "1";
});

window.addEventListener("pageshow", () => {
  document.querySelectorAll("form[data-sending]").forEach((form) => {
    delete form.dataset.sending;
  });
});

document.addEventListener("htmx:responseError", (event) => {
  const xhr = event.detail.xhr;
  if (!xhr || xhr.status !== 401) return;
  const source = event.detail.elt;
  const form = source.closest("form") || source;
  let note = form.querySelector(".session-ended");
  if (!note) {
    note = document.createElement("div");
    note.className = "alert alert-warning py-2 session-ended";
    note.setAttribute("role", "alert");
    form.prepend(note);
  }
  note.textContent = xhr.responseText;
});

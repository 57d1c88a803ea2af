// The language menu in the navigation: choosing a language saves it at once.
document.getElementById("language-choice")?.addEventListener("change", (event) => {
  event.target.form.submit();
});

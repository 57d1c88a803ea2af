// The language choice in the navigation applies as soon as it is picked (a script file,
// not an inline handler, so the Content-Security-Policy can forbid inline scripts).
document.addEventListener("DOMContentLoaded", () => {
  const choice = document.getElementById("language-choice");
  if (choice) choice.addEventListener("change", () => choice.form.submit());
});

// The language choice in the navigation (a script file, not an inline handler, so the
// Content-Security-Policy can forbid inline scripts). Picked with the mouse or by touch,
// it applies at once. With the keyboard, the arrow keys only move the choice (a keyboard
// user steps through the languages without the page reloading under them, WCAG 3.2.2):
// Enter applies it, or the Change button that appears once the choice differs.
document.addEventListener("DOMContentLoaded", () => {
  const choice = document.getElementById("language-choice");
  if (!choice) return;
  const button = document.getElementById("language-apply");
  const initial = choice.value;
  let byKeyboard = false;
  choice.addEventListener("keydown", (event) => {
    byKeyboard = true;
    if (event.key === "Enter") {
      event.preventDefault();
      if (choice.value !== initial) choice.form.submit();
    }
  });
  choice.addEventListener("pointerdown", () => {
    byKeyboard = false;
  });
  choice.addEventListener("change", () => {
    if (!byKeyboard) {
      choice.form.submit();
    } else if (button) {
      button.classList.toggle("d-none", choice.value === initial);
    }
  });
});

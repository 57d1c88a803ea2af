// The customers list's owner box: type part of a name, pick one of the suggestions (the
// people the list may filter by, from the owners endpoint), and the hidden "owner" field
// takes that person's id. A name typed and not picked is sent as "owner_name": the list
// filters by the one person it names (name or e-mail, any case), or shows nobody and
// says that it names several people or nobody (customers/forms.py).
(function () {
  "use strict";
  const box = document.getElementById("owner-name");
  if (!box) return;
  const field = document.getElementById(box.dataset.ownerField);
  const options = document.getElementById(box.getAttribute("list"));
  let timer = null;
  let asked = null;

  function pick() {
    const chosen = Array.from(options.options).find((option) => option.value === box.value);
    field.value = chosen ? chosen.dataset.id : "";
    return Boolean(chosen);
  }

  function suggest() {
    const typed = box.value.trim();
    if (typed === asked) return;
    asked = typed;
    const url = box.dataset.ownerSearch + "?q=" + encodeURIComponent(typed);
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then((response) => (response.ok ? response.json() : { results: [] }))
      .then((data) => {
        if (asked !== typed) return; // a later keystroke asked again
        options.replaceChildren(
          ...data.results.map((person) => {
            const option = document.createElement("option");
            option.value = person.text;
            option.dataset.id = String(person.id);
            return option;
          }),
        );
        pick();
      })
      .catch(() => {});
  }

  box.addEventListener("input", () => {
    clearTimeout(timer);
    // A suggestion was chosen: keep it (asking again with "Name (Team)" finds nobody).
    if (pick()) return;
    timer = setTimeout(suggest, 200);
  });
  box.addEventListener("focus", suggest);
})();

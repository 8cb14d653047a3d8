// itpm's own browser code: small, no inline handlers (the CSP forbids them).
"use strict";

document.addEventListener("submit", (event) => {
  const form = event.target;
  if (form instanceof HTMLFormElement && form.classList.contains("confirm")) {
    if (!window.confirm(form.dataset.confirm || "Are you sure?")) {
      event.preventDefault();
    }
  }
});

// Escape leaves an inline edit without saving.
document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape") return;
  const form = event.target.closest && event.target.closest("form.cell-form");
  if (form) {
    const cancel = form.querySelector("button[type=button]");
    if (cancel) cancel.click();
  }
});

// Focus the field of an inline edit as soon as htmx shows it.
document.addEventListener("htmx:afterSwap", (event) => {
  const field = event.target.querySelector && event.target.querySelector("form.cell-form input:not([type=hidden]), form.cell-form select, form.cell-form textarea");
  if (field) field.focus();
});

// The plan table: an inline edit that moved other tasks says which, and how the project
// finish changed (a hidden loader in project_plan.html reloads the table body on it).
document.body.addEventListener("plan-moved", (event) => {
  const line = document.getElementById("plan-moved");
  if (!line || !event.detail || !event.detail.message) return;
  line.textContent = event.detail.message;
  line.hidden = false;
});

// Canned replies: choosing one inserts its text into the reply box.
document.addEventListener("DOMContentLoaded", () => {
  const select = document.getElementById("canned-reply");
  if (!select) return;
  select.addEventListener("change", () => {
    const box = select.form.querySelector("textarea[name=body]");
    if (box && select.value) {
      box.value = box.value ? box.value + "\n\n" + select.value : select.value;
      box.focus();
    }
    select.value = "";
  });
});

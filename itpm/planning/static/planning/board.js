// The Kanban board: drag cards between and within columns (sortablejs). Every drop is
// one API call with the card's version; a stale card (409) reloads the board with a note.
"use strict";

const board = document.getElementById("board");

function csrfToken() {
  try {
    return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
  } catch (error) {
    return "";
  }
}

function say(text, kind) {
  const box = document.getElementById("board-messages");
  const line = document.createElement("p");
  line.className = "flash" + (kind === "error" ? " error" : "");
  line.setAttribute("role", kind === "error" ? "alert" : "status");
  line.textContent = text;
  box.replaceChildren(line);
}

function recount() {
  for (const column of board.querySelectorAll(".board-column")) {
    const count = column.querySelectorAll("li.card").length;
    const limit = parseInt(column.dataset.limit || "", 10);
    const label = column.querySelector(".column-count");
    label.textContent = Number.isNaN(limit) ? String(count) : `${count} / ${limit}`;
    column.classList.toggle("over-limit", !Number.isNaN(limit) && count > limit);
    column.classList.toggle("at-limit", !Number.isNaN(limit) && count === limit);
  }
}

async function reloadBoard() {
  const response = await fetch(window.location.href, { headers: { "HX-Request": "true" }, credentials: "same-origin" });
  if (response.ok) {
    board.innerHTML = await response.text();
    attach();
  }
}

async function onDrop(event) {
  const card = event.item;
  const column = event.to;
  const previous = card.previousElementSibling;
  card.classList.add("saving");
  let response;
  try {
    response = await fetch(`/api/v1/tasks/${card.dataset.taskId}/board-move`, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify({
        version: parseInt(card.dataset.version, 10),
        status: column.dataset.status,
        after: previous ? parseInt(previous.dataset.taskId, 10) : null,
      }),
    });
  } catch (error) {
    say("The board could not reach the server; reloaded it.", "error");
    await reloadBoard();
    return;
  }
  card.classList.remove("saving");
  const body = await response.json().catch(() => ({}));
  if (response.ok) {
    card.dataset.version = String(body.version);
    for (const input of card.querySelectorAll("input[name=version]")) input.value = String(body.version);
    const select = card.querySelector("select[name=status]");
    if (select) select.value = body.status;
    recount();
    if (body.warnings && body.warnings.length) say(body.warnings.join(" "), "error");
    else document.getElementById("board-messages").replaceChildren();
    return;
  }
  if (response.status === 409) {
    say("Someone else changed this task in the meantime; the board now shows the latest state. " + (body.detail || ""), "error");
  } else {
    say(body.detail || `The move was refused (${response.status}).`, "error");
  }
  await reloadBoard();
}

let Sortable = null;

function attach() {
  if (!Sortable || !board.dataset.canEdit) return;
  for (const list of board.querySelectorAll("ul.cards")) {
    Sortable.create(list, {
      group: "board",
      animation: 120,
      // Mouse and touch events instead of native drag and drop: the same on every browser.
      forceFallback: true,
      filter: "details, summary, select, input, button, label",
      preventOnFilter: false,
      onEnd: (event) => {
        if (event.from === event.to && event.oldIndex === event.newIndex) return;
        onDrop(event);
      },
    });
  }
}

if (board) {
  import(board.dataset.sortableSrc).then((module) => {
    Sortable = module.default;
    attach();
    window.__boardReady = true;
  });
}

// itpm's Gantt chart: SVG drawn from GET /api/v1/projects/{key}/schedule.
//
// No framework and nothing inline (the Content-Security-Policy forbids inline scripts and
// style attributes): shapes use SVG presentation attributes and CSS classes. Every edit
// (move, resize, link) goes through the REST API with the task's `version`, then the
// schedule is fetched again so that successors move with it.
//
// Time is drawn on the project's wall clock: the API returns dates in the project
// calendar's zone, and the chart reads their date and time fields as they are written
// ("2027-01-04T09:00:00+01:00" is drawn at 09:00 on 4 January wherever the browser is).
"use strict";

(function () {
  const root = document.getElementById("gantt");
  if (!root) return;

  const SVG = "http://www.w3.org/2000/svg";
  const DAY = 86400000;
  const HOUR = 3600000;
  const ROW = 28;
  const HEADER = 44;
  const TREE_WIDTH = 330;
  const ZOOMS = {
    day: { px: 36, label: "Day" },
    week: { px: 12, label: "Week" },
    month: { px: 3.2, label: "Month" },
    quarter: { px: 1.1, label: "Quarter" },
  };
  const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  const WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

  const state = {
    url: root.dataset.scheduleUrl,
    tasksUrl: root.dataset.tasksUrl,
    dependenciesUrl: root.dataset.dependenciesUrl,
    data: null,
    zoom: root.dataset.zoom || "week",
    critical: true,
    baseline: "",
    collapsed: new Set(),
    table: false,
    busy: false,
  };

  // ------------------------------------------------------------------ elements
  const toolbar = root.querySelector(".gantt-toolbar");
  const banner = root.querySelector(".gantt-banner");
  const statusLine = root.querySelector(".gantt-status");
  const scroller = root.querySelector(".gantt-scroll");
  const tableView = root.querySelector(".gantt-table");
  const baselineSelect = root.querySelector("select[name=baseline]");
  const criticalBox = root.querySelector("input[name=critical]");
  const tableButton = root.querySelector("button[data-action=table]");
  toolbar.hidden = false;
  scroller.hidden = false;

  // ------------------------------------------------------------------ small helpers
  function el(name, attrs, parent) {
    const node = document.createElementNS(SVG, name);
    for (const key in attrs) node.setAttribute(key, attrs[key]);
    if (parent) parent.appendChild(node);
    return node;
  }

  function html(name, className, text, parent) {
    const node = document.createElement(name);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    if (parent) parent.appendChild(node);
    return node;
  }

  // "2027-01-04T09:00:00+01:00" → milliseconds of that wall-clock time, read as UTC.
  function wall(iso) {
    if (!iso) return null;
    const m = /^(\d{4})-(\d\d)-(\d\d)(?:T(\d\d):(\d\d)(?::(\d\d))?)?/.exec(iso);
    if (!m) return null;
    return Date.UTC(+m[1], +m[2] - 1, +m[3], +(m[4] || 0), +(m[5] || 0), +(m[6] || 0));
  }

  function offsetOf(iso) {
    const m = /(Z|[+-]\d\d:\d\d)$/.exec(iso || "");
    return m ? m[1] : "Z";
  }

  function pad(n) {
    return String(n).padStart(2, "0");
  }

  function wallIso(ms, offset) {
    const d = new Date(ms);
    return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:00${offset}`;
  }

  function dayText(ms) {
    const d = new Date(ms);
    return `${WEEKDAYS[d.getUTCDay()]} ${pad(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}`;
  }

  function dateText(ms) {
    if (ms === null) return "—";
    const d = new Date(ms);
    return `${dayText(ms)} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
  }

  function hoursText(hours, perDay) {
    if (hours === null || hours === undefined) return "—";
    const days = hours / perDay;
    return `${hours} h` + (Math.abs(hours) >= perDay ? ` (${+days.toFixed(1)} d)` : "");
  }

  // A task's exact duration: "16 h (2 d)", "7 h 30 min (1 d)" on a 7.5-hour day.
  function durationText(minutes, perDay) {
    if (minutes === null || minutes === undefined) return "—";
    const hours = Math.floor(minutes / 60);
    const rest = minutes % 60;
    if (!rest) return hoursText(hours, perDay);
    const days = minutes / 60 / perDay;
    return `${hours} h ${rest} min` + (days >= 1 ? ` (${+days.toFixed(1)} d)` : "");
  }

  function csrfToken() {
    const cookie = document.cookie.split("; ").find((c) => c.startsWith("csrftoken="));
    if (cookie) return decodeURIComponent(cookie.split("=")[1]);
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (e) {
      return "";
    }
  }

  function showBanner(text, kind) {
    banner.textContent = text;
    banner.className = `gantt-banner ${kind || "error"}`;
    banner.hidden = !text;
  }

  function setStatus(text) {
    statusLine.textContent = text;
  }

  // ------------------------------------------------------------------ data
  async function load(options) {
    const url = new URL(state.url, window.location.href);
    if (state.baseline) url.searchParams.set("baseline", state.baseline);
    const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (!response.ok) {
      showBanner(`The schedule could not be loaded (${response.status}).`);
      return;
    }
    const before = state.data;
    state.data = prepare(await response.json());
    root.classList.toggle("editable", state.data.can_edit);
    fillBaselines();
    render(options || {});
    if (before && options && options.changed) reportMoves(before, state.data);
  }

  function prepare(data) {
    const perDay = data.calendar.hours_per_day || 8;
    data.rangeStart = wall(data.calendar.range_start);
    data.rangeEnd = wall(data.calendar.range_end) + DAY;
    data.nonWorking = new Set(data.calendar.non_working_days);
    data.periods = data.calendar.working_hours.map(([a, b]) => [minutes(a), minutes(b)]);
    data.perDay = perDay;
    data.byId = new Map();
    data.children = new Map();
    for (const task of data.tasks) {
      task.start = wall(task.planned_start);
      task.finish = wall(task.planned_finish);
      // A split task's pauses, [stop, resume] in wall-clock milliseconds.
      task.gaps = (task.pauses || []).map(([stop, resume]) => [wall(stop), wall(resume)]);
      data.byId.set(task.id, task);
      if (task.parent !== null) {
        if (!data.children.has(task.parent)) data.children.set(task.parent, []);
        data.children.get(task.parent).push(task.id);
      }
    }
    data.baselineDates = new Map();
    if (data.baseline) {
      for (const entry of data.baseline.tasks) {
        data.baselineDates.set(entry.task, [wall(entry.start), wall(entry.finish)]);
      }
    }
    return data;
  }

  function minutes(text) {
    const [h, m] = text.split(":").map(Number);
    return h * 60 + m;
  }

  function fillBaselines() {
    const data = state.data;
    const current = state.baseline;
    baselineSelect.replaceChildren();
    const none = html("option", "", "No baseline", baselineSelect);
    none.value = "";
    for (const b of data.baselines) {
      const option = html("option", "", `${b.name}${b.active ? " (active)" : ""}`, baselineSelect);
      option.value = String(b.id);
    }
    baselineSelect.value = current;
    baselineSelect.disabled = data.baselines.length === 0;
  }

  function reportMoves(before, after) {
    let moved = 0;
    for (const task of after.tasks) {
      const old = before.byId.get(task.id);
      if (old && !task.summary && (old.start !== task.start || old.finish !== task.finish)) moved += 1;
    }
    const finish = wall(after.project.finish);
    setStatus(`Saved. ${moved} task${moved === 1 ? "" : "s"} moved; project finish ${dateText(finish)}.`);
  }

  // ------------------------------------------------------------------ geometry
  function pxPerDay() {
    return ZOOMS[state.zoom].px;
  }

  function xOf(ms) {
    return ((ms - state.data.rangeStart) / DAY) * pxPerDay();
  }

  function msOf(x) {
    return state.data.rangeStart + (x / pxPerDay()) * DAY;
  }

  function isWorkingDay(dayMs) {
    const d = new Date(dayMs);
    const key = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
    if (state.data.nonWorking.has(key)) return false;
    const inRange = dayMs >= state.data.rangeStart && dayMs < state.data.rangeEnd;
    if (inRange) return true;
    // Outside the listed range only the weekly pattern is known.
    const weekday = (d.getUTCDay() + 6) % 7;
    return state.data.calendar.working_days.includes(weekday);
  }

  // Working hours between two wall-clock moments on the project calendar.
  function workingHoursBetween(from, to) {
    if (to <= from) return 0;
    let total = 0;
    for (let day = Math.floor(from / DAY) * DAY; day < to; day += DAY) {
      if (!isWorkingDay(day)) continue;
      for (const [a, b] of state.data.periods) {
        const start = Math.max(day + a * 60000, from);
        const end = Math.min(day + b * 60000, to);
        if (end > start) total += end - start;
      }
    }
    return total / HOUR;
  }

  function visibleTasks() {
    const data = state.data;
    const hidden = new Set();
    const rows = [];
    for (const task of data.tasks) {
      if (task.parent !== null && (hidden.has(task.parent) || state.collapsed.has(task.parent))) {
        hidden.add(task.id);
        continue;
      }
      rows.push(task);
    }
    return rows;
  }

  // ------------------------------------------------------------------ render
  function render(options) {
    const keepLeft = scroller.scrollLeft;
    const keepTop = scroller.scrollTop;
    if (state.table) {
      renderTable();
      scroller.hidden = true;
      tableView.hidden = false;
      return;
    }
    scroller.hidden = false;
    tableView.hidden = true;
    const rows = visibleTasks();
    // The chart fills the visible width at least, however short the project.
    const visibleDays = Math.ceil(Math.max(scroller.clientWidth - TREE_WIDTH, 200) / pxPerDay());
    state.data.drawEnd = Math.max(state.data.rangeEnd, state.data.rangeStart + visibleDays * DAY);
    const width = Math.ceil(xOf(state.data.drawEnd));
    const height = Math.max(rows.length, 1) * ROW;

    // Two flex rows: the sticky header (corner + timescale) and the body (tree + chart).
    // Sticky cells stick within their row, which spans the whole chart width.
    const grid = html("div", "gantt-grid");
    const headerRow = html("div", "gantt-header-row", null, grid);
    const corner = html("div", "gantt-corner", null, headerRow);
    html("span", "wbs", "WBS", corner);
    html("span", "name", "Task", corner);
    const timescale = html("div", "gantt-timescale", null, headerRow);
    const head = el("svg", { width, height: HEADER, class: "gantt-head", "aria-hidden": "true" }, timescale);
    const bodyRow = html("div", "gantt-body-row", null, grid);
    const tree = html("div", "gantt-tree", null, bodyRow);
    tree.setAttribute("role", "tree");
    tree.setAttribute("aria-label", "Work breakdown structure");
    const chart = html("div", "gantt-chart", null, bodyRow);
    const svg = el("svg", { width, height, class: "gantt-svg", role: "img", "aria-label": "Gantt chart" }, chart);

    drawTimescale(head, width);
    drawBackground(svg, width, height, rows);
    const rowOf = new Map(rows.map((task, i) => [task.id, i]));
    drawTree(tree, rows);
    el("defs", {}, svg).innerHTML =
      '<marker id="gantt-arrow" viewBox="0 0 8 8" refX="7" refY="4" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L8,4 L0,8 z" class="arrowhead"/></marker>' +
      '<marker id="gantt-arrow-critical" viewBox="0 0 8 8" refX="7" refY="4" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L8,4 L0,8 z" class="arrowhead critical"/></marker>';
    const links = el("g", { class: "links" }, svg);
    const bars = el("g", { class: "bars" }, svg);
    for (const task of rows) drawTask(bars, task, rowOf.get(task.id));
    drawLinks(links, rowOf);
    drawToday(svg, height);

    scroller.replaceChildren(grid);
    if (options.scrollToToday) {
      scroller.scrollLeft = Math.max(0, xOf(wall(state.data.today)) - 200);
    } else {
      scroller.scrollLeft = keepLeft;
      scroller.scrollTop = keepTop;
    }
  }

  function drawTimescale(head, width) {
    const data = state.data;
    const zoom = state.zoom;
    el("rect", { x: 0, y: 0, width, height: HEADER, class: "head-bg" }, head);
    // Upper tier: months (day/week zoom) or years (month/quarter zoom).
    const start = new Date(data.rangeStart);
    let cursor = Date.UTC(start.getUTCFullYear(), zoom === "day" || zoom === "week" ? start.getUTCMonth() : 0, 1);
    while (cursor < data.drawEnd) {
      const d = new Date(cursor);
      const next =
        zoom === "day" || zoom === "week"
          ? Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1)
          : Date.UTC(d.getUTCFullYear() + 1, 0, 1);
      const x = Math.max(0, xOf(cursor));
      el("line", { x1: xOf(cursor), x2: xOf(cursor), y1: 0, y2: HEADER, class: "tick major" }, head);
      const label = zoom === "day" || zoom === "week" ? `${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}` : String(d.getUTCFullYear());
      el("text", { x: x + 4, y: 16, class: "tier1" }, head).textContent = label;
      cursor = next;
    }
    // Lower tier.
    el("line", { x1: 0, x2: width, y1: 22, y2: 22, class: "tick" }, head);
    const lower = [];
    if (zoom === "day") {
      for (let t = data.rangeStart; t < data.drawEnd; t += DAY) {
        lower.push([t, String(new Date(t).getUTCDate()), t + DAY]);
      }
    } else if (zoom === "week") {
      let t = data.rangeStart;
      const wd = (new Date(t).getUTCDay() + 6) % 7;
      t -= wd * DAY; // Monday
      for (; t < data.drawEnd; t += 7 * DAY) {
        const d = new Date(t);
        lower.push([t, `${pad(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]}`, t + 7 * DAY]);
      }
    } else {
      const step = zoom === "month" ? 1 : 3;
      let t = Date.UTC(start.getUTCFullYear(), start.getUTCMonth() - (start.getUTCMonth() % step), 1);
      while (t < data.drawEnd) {
        const d = new Date(t);
        const next = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + step, 1);
        const label = zoom === "month" ? MONTHS[d.getUTCMonth()] : `Q${Math.floor(d.getUTCMonth() / 3) + 1}`;
        lower.push([t, label, next]);
        t = next;
      }
    }
    for (const [t, label, next] of lower) {
      const x = xOf(t);
      el("line", { x1: x, x2: x, y1: 22, y2: HEADER, class: "tick" }, head);
      if (xOf(next) - x >= 14) {
        el("text", { x: x + (xOf(next) - x) / 2, y: 37, class: "tier2", "text-anchor": "middle" }, head).textContent = label;
      }
    }
  }

  function drawBackground(svg, width, height, rows) {
    const data = state.data;
    const bg = el("g", { class: "background" }, svg);
    // Days off, merged into runs so that a long range stays a few hundred rectangles;
    // at the quarter zoom a day is a pixel and the shading would only be noise.
    const days = pxPerDay() < 2 ? [] : data.calendar.non_working_days.map(wall).sort((a, b) => a - b);
    let runStart = null;
    let runEnd = null;
    const flush = () => {
      if (runStart !== null) {
        el("rect", { x: xOf(runStart), y: 0, width: Math.max(xOf(runEnd) - xOf(runStart), 0.5), height, class: "nonwork" }, bg);
      }
    };
    for (const day of days) {
      if (runEnd !== null && day === runEnd) {
        runEnd = day + DAY;
      } else {
        flush();
        runStart = day;
        runEnd = day + DAY;
      }
    }
    flush();
    rows.forEach((task, i) => {
      if (task.summary) el("rect", { x: 0, y: i * ROW, width, height: ROW, class: "row summary-row" }, bg);
      el("line", { x1: 0, x2: width, y1: (i + 1) * ROW - 0.5, y2: (i + 1) * ROW - 0.5, class: "row-line" }, bg);
    });
  }

  function drawToday(svg, height) {
    const x = xOf(wall(state.data.today));
    el("line", { x1: x, x2: x, y1: 0, y2: height, class: "today" }, svg);
  }

  function drawTree(tree, rows) {
    for (const task of rows) {
      const row = html("div", `gantt-row depth-${Math.min(task.depth, 8)}${task.summary ? " summary" : ""}${task.critical ? " is-critical" : ""}`, null, tree);
      row.setAttribute("role", "treeitem");
      row.dataset.taskId = task.id;
      row.id = `gantt-row-${task.id}`;
      row.tabIndex = 0;
      if (task.summary) {
        row.setAttribute("aria-expanded", state.collapsed.has(task.id) ? "false" : "true");
        const toggle = html("button", "toggle", state.collapsed.has(task.id) ? "▸" : "▾", row);
        toggle.type = "button";
        toggle.dataset.toggle = task.id;
        toggle.setAttribute("aria-label", `${state.collapsed.has(task.id) ? "Expand" : "Collapse"} ${task.name}`);
      } else {
        html("span", "toggle-space", "", row);
      }
      html("span", "wbs", task.wbs, row);
      const name = html("span", "name", (task.milestone ? "◆ " : "") + task.name, row);
      name.title = `${task.wbs} ${task.name}`;
      if (task.late) html("span", "late-flag", "late", row).title = "Negative float or a missed deadline";
    }
  }

  function barClass(task) {
    let name = "bar";
    if (state.critical && task.critical) name += " critical";
    if (task.late) name += " late";
    if (task.status === "done") name += " done";
    return name;
  }

  function drawTask(layer, task, row) {
    if (task.start === null || task.finish === null) return;
    const y = row * ROW;
    const x1 = xOf(task.start);
    const x2 = xOf(task.finish);
    const g = el("g", { class: "task", "data-task-id": task.id, id: `gantt-bar-${task.id}` }, layer);
    const base = state.data.baselineDates.get(task.id);
    if (base && base[0] !== null && base[1] !== null) {
      const bx = xOf(base[0]);
      el("rect", { x: bx, y: y + 21, width: Math.max(xOf(base[1]) - bx, 2), height: 4, class: "baseline-bar" }, g).appendChild(
        title(`Baseline ${state.data.baseline.name}: ${dateText(base[0])} – ${dateText(base[1])}`)
      );
    }
    const tip = title(
      `${task.wbs} ${task.name}\n${dateText(task.start)} – ${dateText(task.finish)}\n` +
        `Duration ${durationText(task.duration_minutes, state.data.perDay)}; total float ${hoursText(task.total_float_hours, state.data.perDay)}` +
        (task.critical ? "; critical" : "") +
        (task.constraint_type !== "ASAP" ? `\nConstraint ${task.constraint_type} ${dateText(wall(task.constraint_date))}` : "") +
        (task.deadline ? `\nDeadline ${dateText(wall(task.deadline))}` : "") +
        task.gaps.map(([stop, resume]) => `\nPaused ${dateText(stop)} – ${dateText(resume)}`).join("")
    );
    if (task.summary) {
      g.classList.add("summary");
      const w = Math.max(x2 - x1, 2);
      const shape = el("path", {
        d: `M${x1},${y + 8} h${w} v9 l-5,-4 h${-(w - 10)} l-5,4 z`,
        class: "summary-bar" + (state.critical && task.critical ? " critical" : ""),
      }, g);
      shape.appendChild(tip);
      return;
    }
    if (task.milestone) {
      g.classList.add("milestone");
      const cx = x2;
      const cy = y + ROW / 2;
      const shape = el("path", { d: `M${cx},${cy - 8} l8,8 l-8,8 l-8,-8 z`, class: "diamond" + (state.critical && task.critical ? " critical" : "") + (task.late ? " late" : "") }, g);
      shape.appendChild(tip);
      el("text", { x: cx + 12, y: y + 18, class: "label" }, g).textContent = task.name;
      task.anchor = { start: cx, finish: cx, y: cy };
      if (state.data.can_edit) addHandles(g, task, cx - 8, cx + 8, y);
      shape.setAttribute("data-drag", "move");
      return;
    }
    const w = Math.max(x2 - x1, 3);
    if (task.gaps.length) {
      drawSplitBar(g, task, x1, x2, y, tip);
    } else {
      const bar = el("rect", { x: x1, y: y + 6, width: w, height: 14, rx: 3, class: barClass(task), "data-drag": "move" }, g);
      bar.appendChild(tip);
      if (task.percent_complete > 0) {
        el("rect", { x: x1, y: y + 11, width: (w * task.percent_complete) / 100, height: 4, class: "progress", "data-drag": "move" }, g);
      }
    }
    el("text", { x: x1 + w + 12, y: y + 18, class: "label" }, g).textContent = task.name;
    if (state.data.can_edit) {
      el("rect", { x: x1 + w - 5, y: y + 6, width: 7, height: 14, class: "resize", "data-drag": "resize" }, g).appendChild(title("Drag to change the duration"));
      addHandles(g, task, x1, x1 + w, y);
    }
  }

  // A split task (MS Project's "Split Task"): one bar per stretch of work and a dotted line
  // across each pause, where the work stops and later resumes. The progress stripe covers
  // the stretches in order, as far as the percent complete reaches along their length.
  function drawSplitBar(g, task, x1, x2, y, tip) {
    g.classList.add("split");
    const segments = [];
    let from = x1;
    for (const [stop, resume] of task.gaps) {
      const a = xOf(stop);
      const b = xOf(resume);
      segments.push([from, a]);
      const gap = el("line", { x1: a, x2: b, y1: y + 13, y2: y + 13, class: `split-gap${state.critical && task.critical ? " critical" : ""}${task.status === "done" ? " done" : ""}`, "data-drag": "move" }, g);
      gap.appendChild(title(`Paused ${dateText(stop)} – ${dateText(resume)}`));
      from = b;
    }
    segments.push([from, x2]);
    const total = segments.reduce((sum, [a, b]) => sum + Math.max(b - a, 0), 0);
    let progress = (total * task.percent_complete) / 100;
    for (const [a, b] of segments) {
      const w = Math.max(b - a, 2);
      const bar = el("rect", { x: a, y: y + 6, width: w, height: 14, rx: 3, class: `${barClass(task)} segment`, "data-drag": "move" }, g);
      bar.appendChild(tip.cloneNode(true));
      if (progress > 0) {
        el("rect", { x: a, y: y + 11, width: Math.min(progress, w), height: 4, class: "progress", "data-drag": "move" }, g);
        progress -= w;
      }
    }
  }

  function addHandles(g, task, left, right, y) {
    el("circle", { cx: left - 6, cy: y + 13, r: 4, class: "handle", "data-drag": "link", "data-end": "start" }, g).appendChild(title("Drag onto another task to link from this start"));
    el("circle", { cx: right + 6, cy: y + 13, r: 4, class: "handle", "data-drag": "link", "data-end": "finish" }, g).appendChild(title("Drag onto another task to link from this finish"));
  }

  function title(text) {
    const node = document.createElementNS(SVG, "title");
    node.textContent = text;
    return node;
  }

  function anchorX(task, end) {
    if (task.milestone) return xOf(task.finish);
    return end === "start" ? xOf(task.start) : Math.max(xOf(task.finish), xOf(task.start) + 3);
  }

  function drawLinks(layer, rowOf) {
    const data = state.data;
    for (const link of data.dependencies) {
      const pred = data.byId.get(link.predecessor);
      const succ = data.byId.get(link.successor);
      if (!pred || !succ || !rowOf.has(pred.id) || !rowOf.has(succ.id)) continue;
      if (pred.start === null || succ.start === null) continue;
      const fromEnd = link.type === "SS" || link.type === "SF" ? "start" : "finish";
      const toEnd = link.type === "FF" || link.type === "SF" ? "finish" : "start";
      const ax = anchorX(pred, fromEnd);
      const ay = rowOf.get(pred.id) * ROW + ROW / 2;
      const bx = anchorX(succ, toEnd);
      const by = rowOf.get(succ.id) * ROW + ROW / 2;
      const out = fromEnd === "finish" ? 1 : -1;
      const into = toEnd === "start" ? 1 : -1; // 1: arrive from the left
      const gap = succ.milestone ? 9 : 1;
      const tx = bx - into * gap;
      const px = ax + out * 8;
      let d;
      const down = by >= ay ? 1 : -1;
      if ((into === 1 && px <= tx - 6) || (into === -1 && px >= tx + 6)) {
        d = `M${ax},${ay} H${px} V${by} H${tx}`;
      } else {
        const midY = ay + (down * ROW) / 2;
        const ex = tx - into * 10;
        d = `M${ax},${ay} H${px} V${midY} H${ex} V${by} H${tx}`;
      }
      const critical = state.critical && link.critical;
      const path = el("path", {
        d,
        class: "link" + (critical ? " critical" : ""),
        "marker-end": critical ? "url(#gantt-arrow-critical)" : "url(#gantt-arrow)",
        "data-link-id": link.id,
      }, layer);
      const lag = link.lag_hours ? ` ${link.lag_hours > 0 ? "+" : ""}${link.lag_hours} h` : "";
      path.appendChild(title(`${pred.wbs} ${pred.name} → ${succ.wbs} ${succ.name} (${link.type}${lag})`));
    }
  }

  // ------------------------------------------------------------------ table view
  function renderTable() {
    const data = state.data;
    const table = html("table", "compact gantt-numbers");
    const head = html("tr", "", null, html("thead", "", null, table));
    const columns = ["WBS", "Task", "Start", "Finish", "Duration", "Total float", "Free float", "Critical", "Constraint", "Deadline"];
    if (data.baseline) columns.push("Baseline start", "Baseline finish");
    for (const c of columns) html("th", "", c, head);
    const body = html("tbody", "", null, table);
    for (const task of data.tasks) {
      const tr = html("tr", task.summary ? "summary" : "", null, body);
      html("td", "", task.wbs, tr);
      html("td", `name depth-${Math.min(task.depth, 8)}`, (task.milestone ? "◆ " : "") + task.name, tr);
      html("td", "", dateText(task.start), tr);
      html("td", "", dateText(task.finish), tr);
      const pauses = task.gaps.length ? ` · ${task.gaps.length} pause${task.gaps.length === 1 ? "" : "s"}` : "";
      html("td", "num", durationText(task.duration_minutes, data.perDay) + pauses, tr);
      html("td", "num" + (task.late ? " error" : ""), hoursText(task.total_float_hours, data.perDay), tr);
      html("td", "num", hoursText(task.free_float_hours, data.perDay), tr);
      html("td", "", task.critical ? "yes" : "", tr);
      html("td", "", task.constraint_type === "ASAP" ? "" : `${task.constraint_type} ${dateText(wall(task.constraint_date))}`, tr);
      html("td", "", task.deadline ? dateText(wall(task.deadline)) : "", tr);
      if (data.baseline) {
        const base = data.baselineDates.get(task.id) || [null, null];
        html("td", "", dateText(base[0]), tr);
        html("td", "", dateText(base[1]), tr);
      }
    }
    const caption = html("caption", "", `Project finish ${dateText(wall(data.project.finish))}; ${data.tasks.length} tasks, ${data.dependencies.length} dependencies.`);
    table.prepend(caption);
    tableView.replaceChildren(table);
  }

  // ------------------------------------------------------------------ editing
  async function send(method, url, body) {
    state.busy = true;
    root.classList.add("busy");
    setStatus("Saving…");
    try {
      const response = await fetch(url, {
        method,
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken() },
        body: JSON.stringify(body),
      });
      let answer = {};
      try {
        answer = await response.json();
      } catch (e) {
        answer = {};
      }
      if (response.ok) {
        showBanner("");
        await load({ changed: true });
        return;
      }
      const detail = answer.detail || `the server answered ${response.status}`;
      const fields = (answer.errors || []).map((e) => `${e.field}: ${e.message}`).join("; ");
      if (response.status === 409 && /changed by someone else/.test(detail)) {
        showBanner("Someone else changed this task — reloaded. Your change was not saved; check the new dates and try again.", "conflict");
      } else {
        showBanner(`Not saved: ${detail}${fields && !detail.includes(fields) ? ` (${fields})` : ""}`);
      }
      setStatus("");
      await load({});
    } catch (e) {
      showBanner(`Not saved: ${e.message || e}`);
      setStatus("");
    } finally {
      state.busy = false;
      root.classList.remove("busy");
    }
  }

  function patchTask(task, changes) {
    return send("PATCH", `${state.tasksUrl}${task.id}`, { version: task.version, ...changes });
  }

  function linkTasks(predecessor, successor, type) {
    return send("POST", state.dependenciesUrl, { predecessor: predecessor.id, successor: successor.id, type });
  }

  let drag = null;

  function svgPoint(event) {
    const svg = scroller.querySelector("svg.gantt-svg");
    const box = svg.getBoundingClientRect();
    return { x: event.clientX - box.left, y: event.clientY - box.top, svg };
  }

  scroller.addEventListener("pointerdown", (event) => {
    if (!state.data || !state.data.can_edit || state.busy || event.button !== 0) return;
    const target = event.target.closest && event.target.closest("[data-drag]");
    if (!target) return;
    const group = target.closest("g.task");
    const task = state.data.byId.get(Number(group.dataset.taskId));
    if (!task || task.summary) return;
    event.preventDefault();
    const point = svgPoint(event);
    drag = { kind: target.dataset.drag, end: target.dataset.end, task, group, x0: point.x, y0: point.y, moved: false, svg: point.svg };
    if (drag.kind === "link") {
      drag.line = el("line", { x1: point.x, y1: point.y, x2: point.x, y2: point.y, class: "link-draft" }, point.svg);
    }
    if (drag.kind === "resize") {
      // A split task grows or shrinks its last stretch of work.
      const segments = group.querySelectorAll("rect.bar");
      drag.bar = segments[segments.length - 1];
      drag.width = Number(drag.bar.getAttribute("width"));
    }
    scroller.setPointerCapture(event.pointerId);
  });

  scroller.addEventListener("pointermove", (event) => {
    if (!drag) return;
    const point = svgPoint(event);
    const dx = point.x - drag.x0;
    if (Math.abs(dx) > 3 || Math.abs(point.y - drag.y0) > 3) drag.moved = true;
    if (!drag.moved) return;
    if (drag.kind === "move") {
      const days = Math.round(dx / pxPerDay());
      drag.days = days;
      drag.group.setAttribute("transform", `translate(${days * pxPerDay()},0)`);
      setStatus(`Start no earlier than ${dateText(drag.task.start + days * DAY)}`);
    } else if (drag.kind === "resize") {
      const finish = msOf(xOf(drag.task.finish) + dx);
      // The duration is hours of work: a split task's pauses stay as they are, so it changes
      // by the working hours between the old and the new finish.
      const task = drag.task;
      const moved = finish >= task.finish ? workingHoursBetween(task.finish, finish) : -workingHoursBetween(finish, task.finish);
      const hours = task.gaps.length
        ? Math.max(1, Math.round(task.duration_minutes / 60 + moved))
        : Math.max(1, Math.round(workingHoursBetween(task.start, finish)));
      drag.hours = hours;
      drag.bar.setAttribute("width", Math.max(drag.width + dx, 3));
      setStatus(`Duration ${hoursText(hours, state.data.perDay)}`);
    } else if (drag.kind === "link") {
      drag.line.setAttribute("x2", point.x);
      drag.line.setAttribute("y2", point.y);
      const over = document.elementFromPoint(event.clientX, event.clientY);
      const group = over && over.closest && over.closest("g.task");
      setStatus(group && group !== drag.group ? `Link to ${state.data.byId.get(Number(group.dataset.taskId)).name}` : "Drop on a task to link");
    }
  });

  function endDrag(event, cancelled) {
    if (!drag) return;
    const current = drag;
    drag = null;
    if (current.line) current.line.remove();
    try {
      scroller.releasePointerCapture(event.pointerId);
    } catch (e) {
      /* already released */
    }
    if (cancelled || !current.moved) {
      current.group.removeAttribute("transform");
      if (current.bar) current.bar.setAttribute("width", current.width);
      setStatus("");
      return;
    }
    const task = current.task;
    if (current.kind === "move") {
      if (!current.days) {
        current.group.removeAttribute("transform");
        setStatus("");
        return;
      }
      const start = task.start + current.days * DAY;
      patchTask(task, { constraint_type: "SNET", constraint_date: wallIso(start, offsetOf(task.planned_start)) });
    } else if (current.kind === "resize") {
      // Whole hours (a 7 h 30 task dragged to 8 h is a change: it drops the minutes).
      if (!current.hours || current.hours * 60 === task.duration_minutes) {
        render({});
        setStatus("");
        return;
      }
      patchTask(task, { duration_hours: current.hours });
    } else if (current.kind === "link") {
      const over = document.elementFromPoint(event.clientX, event.clientY);
      const group = over && over.closest && over.closest("g.task");
      const other = group && state.data.byId.get(Number(group.dataset.taskId));
      if (!other || other.id === task.id) {
        setStatus("No link: drop the line on another task.");
        return;
      }
      // Which end of the target: the half of its bar the line was dropped on.
      const point = svgPoint(event);
      const mid = (anchorX(other, "start") + anchorX(other, "finish")) / 2;
      const toEnd = other.milestone || point.x < mid ? "start" : "finish";
      const type = (current.end === "start" ? "S" : "F") + (toEnd === "start" ? "S" : "F");
      linkTasks(task, other, type);
    }
  }

  scroller.addEventListener("pointerup", (event) => endDrag(event, false));
  scroller.addEventListener("pointercancel", (event) => endDrag(event, true));

  // Keyboard: a focused tree row moves its task by a day (←/→) or changes its length by a
  // working day (Shift+←/→), the same edits a drag makes.
  root.addEventListener("keydown", (event) => {
    const row = event.target.closest && event.target.closest(".gantt-row");
    if (!row || !state.data || !state.data.can_edit || state.busy) return;
    if (event.key !== "ArrowLeft" && event.key !== "ArrowRight") return;
    const task = state.data.byId.get(Number(row.dataset.taskId));
    if (!task || task.summary) return;
    event.preventDefault();
    const step = event.key === "ArrowRight" ? 1 : -1;
    if (event.shiftKey && !task.milestone) {
      // A working day to the minute (7 h 30 on a 37.5-hour week), never below an hour
      // (or the task's own length, when shorter).
      const day = Math.round(state.data.perDay * 60);
      const floor = Math.min(60, task.duration_minutes);
      patchTask(task, { duration_minutes: Math.max(floor, task.duration_minutes + step * day) });
    } else {
      patchTask(task, { constraint_type: "SNET", constraint_date: wallIso(task.start + step * DAY, offsetOf(task.planned_start)) });
    }
  });

  // ------------------------------------------------------------------ toolbar
  root.addEventListener("click", (event) => {
    const toggle = event.target.closest && event.target.closest("button[data-toggle]");
    if (toggle) {
      const id = Number(toggle.dataset.toggle);
      if (state.collapsed.has(id)) state.collapsed.delete(id);
      else state.collapsed.add(id);
      render({});
      const again = document.querySelector(`button[data-toggle="${id}"]`);
      if (again) again.focus();
      return;
    }
    const zoom = event.target.closest && event.target.closest("button[data-zoom]");
    if (zoom) {
      const centre = msOf(scroller.scrollLeft + scroller.clientWidth / 2);
      state.zoom = zoom.dataset.zoom;
      for (const b of toolbar.querySelectorAll("button[data-zoom]")) b.setAttribute("aria-pressed", String(b === zoom));
      render({});
      scroller.scrollLeft = Math.max(0, xOf(centre) - scroller.clientWidth / 2);
      return;
    }
    const action = event.target.closest && event.target.closest("button[data-action]");
    if (!action) return;
    if (action.dataset.action === "today") {
      scroller.scrollLeft = Math.max(0, xOf(wall(state.data.today)) - 200);
    } else if (action.dataset.action === "table") {
      state.table = !state.table;
      tableButton.setAttribute("aria-pressed", String(state.table));
      tableButton.textContent = state.table ? "Chart" : "Table";
      render({});
    } else if (action.dataset.action === "collapse") {
      for (const task of state.data.tasks) if (task.summary) state.collapsed.add(task.id);
      render({});
    } else if (action.dataset.action === "expand") {
      state.collapsed.clear();
      render({});
    }
  });

  criticalBox.addEventListener("change", () => {
    state.critical = criticalBox.checked;
    render({});
  });

  baselineSelect.addEventListener("change", () => {
    state.baseline = baselineSelect.value;
    load({});
  });

  for (const b of toolbar.querySelectorAll("button[data-zoom]")) b.setAttribute("aria-pressed", String(b.dataset.zoom === state.zoom));
  load({ scrollToToday: false }).then(() => root.classList.add("ready"));
})();

"""The style sheet and the script of the HTML report, inlined into the page.

The script is plain JavaScript with no dependency. It runs under the page's
Content-Security-Policy, which allows exactly this script by its SHA-256 hash: no inline
event handler, no ``eval``, no network. It reads the page (``data-*`` attributes written
by the reporter) and only ever sets ``hidden``, classes and the order of table rows, so
no text from the scanned files is ever turned into markup.
"""

from __future__ import annotations

import base64
import hashlib

STYLE = """
:root { --error: #c62828; --warning: #ef6c00; --note: #1565c0; --review: #6a1b9a;
  --clean: #2e7d32; --none: #757575; --line: #d0d4da; --muted: #5f6368; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0;
  color: #202124; background: #f6f7f9; }
header, main { max-width: 1400px; margin: 0 auto; padding: 0 24px; }
header { padding-top: 20px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 28px 0 10px; }
.sub { color: var(--muted); }
section { background: #fff; border: 1px solid var(--line); border-radius: 6px;
  padding: 14px 18px; margin: 16px 0; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 10px 14px;
  min-width: 130px; background: #fafbfc; }
.card b { display: block; font-size: 22px; }
.bad { color: var(--error); }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line);
  vertical-align: top; }
th { background: #eef0f3; position: sticky; top: 0; cursor: pointer; user-select: none; }
th[aria-sort="ascending"]::after { content: " \\25B2"; }
th[aria-sort="descending"]::after { content: " \\25BC"; }
td.num, th.num { text-align: right; }
code { font: 12px/1.4 ui-monospace, SFMono-Regular, Consolas, monospace;
  word-break: break-all; }
.sev { display: inline-block; border-radius: 3px; padding: 0 6px; color: #fff;
  font-size: 12px; font-weight: 600; }
.sev-error { background: var(--error); } .sev-warning { background: var(--warning); }
.sev-note { background: var(--note); } .sev-review { background: var(--review); }
.sev-clean { background: var(--clean); } .sev-unprotected { background: #000; }
ul.findings { margin: 4px 0 0; padding-left: 18px; }
ul.findings li { margin: 2px 0; }
.filters { display: flex; flex-wrap: wrap; gap: 10px; align-items: center;
  margin-bottom: 10px; }
.filters label { color: var(--muted); }
.filters input[type=search] { width: 260px; }
.graph { max-height: 720px; overflow: auto; border: 1px solid var(--line);
  border-radius: 4px; background: #fff; }
svg text { font: 11px system-ui, sans-serif; fill: #202124; }
svg .col { font-weight: 600; font-size: 12px; }
svg .edge { stroke: #9aa0a6; stroke-width: 1; fill: none; }
svg .edge.hot { stroke: #202124; stroke-width: 2; }
svg .node rect { stroke: #5f6368; stroke-width: 1; fill: #fff; }
svg .vm.error rect { fill: #fdecea; stroke: var(--error); }
svg .vm.warning rect { fill: #fff3e0; stroke: var(--warning); }
svg .vm.note rect { fill: #e3f2fd; stroke: var(--note); }
svg .vm.review rect { fill: #f3e5f5; stroke: var(--review); }
svg .vm.clean rect { fill: #e8f5e9; stroke: var(--clean); }
svg .vm.unprotected rect { stroke: #000; stroke-width: 2; stroke-dasharray: 4 2; }
svg .node.dim { opacity: 0.15; }
svg .edge.dim { opacity: 0.08; }
details summary { cursor: pointer; color: var(--muted); }
.empty { color: var(--muted); font-style: italic; }
footer { max-width: 1400px; margin: 0 auto 30px; padding: 0 24px; color: var(--muted); }
"""

SCRIPT = """
(function () {
  "use strict";
  var table = document.getElementById("vm-table");
  var controls = ["f-severity", "f-area", "f-vault", "f-text"].map(function (id) {
    return document.getElementById(id);
  });

  function matches(row) {
    var severity = controls[0].value, area = controls[1].value;
    var vault = controls[2].value, text = controls[3].value.trim().toLowerCase();
    if (severity && (row.dataset.severities || "").split(" ").indexOf(severity) < 0) {
      return false;
    }
    if (area && (row.dataset.areas || "").split(" ").indexOf(area) < 0) { return false; }
    if (vault && row.dataset.vault !== vault) { return false; }
    if (text && row.textContent.toLowerCase().indexOf(text) < 0) { return false; }
    return true;
  }

  function filter() {
    var shown = {}, count = 0;
    Array.prototype.forEach.call(table.tBodies[0].rows, function (row) {
      var ok = matches(row);
      row.hidden = !ok;
      if (ok) { shown[row.dataset.node] = true; count += 1; }
    });
    document.getElementById("vm-count").textContent = String(count);
    var nodes = document.querySelectorAll("svg .vm[data-node]");
    Array.prototype.forEach.call(nodes, function (node) {
      node.classList.toggle("dim", !shown[node.dataset.node]);
    });
    var edges = document.querySelectorAll("svg .edge[data-vm]");
    Array.prototype.forEach.call(edges, function (edge) {
      edge.classList.toggle("dim", !shown[edge.dataset.vm]);
    });
  }

  function sortBy(header, index) {
    var body = table.tBodies[0];
    var ascending = header.getAttribute("aria-sort") !== "ascending";
    Array.prototype.forEach.call(header.parentNode.cells, function (cell) {
      cell.removeAttribute("aria-sort");
    });
    header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = a.cells[index].dataset.sort || a.cells[index].textContent;
      var y = b.cells[index].dataset.sort || b.cells[index].textContent;
      var nx = Number(x), ny = Number(y);
      var order = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y);
      return ascending ? order : -order;
    });
    rows.forEach(function (row) { body.appendChild(row); });
  }

  controls.forEach(function (control) {
    control.addEventListener("input", filter);
    control.addEventListener("change", filter);
  });
  Array.prototype.forEach.call(table.tHead.rows[0].cells, function (cell, index) {
    cell.addEventListener("click", function () { sortBy(cell, index); });
  });
  Array.prototype.forEach.call(document.querySelectorAll("svg .vm"), function (node) {
    node.addEventListener("click", function () {
      var row = document.getElementById("row-" + node.dataset.node);
      if (row) { row.hidden = false; row.scrollIntoView({ block: "center" }); }
    });
  });
  filter();
})();
"""


def script_hash(script: str = SCRIPT) -> str:
    """The CSP source for ``script``: ``'sha256-<base64 digest>'``."""
    digest = hashlib.sha256(script.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"

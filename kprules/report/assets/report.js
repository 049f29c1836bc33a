// kprules HTML report: the "show only differences" filter, the live count of rows shown, and
// the explanations. Without this script every row and every explanation is shown, open.
(function () {
  "use strict";
  var table = document.getElementById("matrix");
  var box = document.getElementById("only-diff");
  var status = document.getElementById("shown");
  var controls = document.getElementById("matrix-controls");
  var details = Array.prototype.slice.call(document.querySelectorAll("details.difference"));

  function plural(n, one, many) {
    return n.toLocaleString("en-US") + " " + (n === 1 ? one : many);
  }

  if (table && box && status && controls) {
    var total = table.tBodies[0].rows.length;
    var differing = table.querySelectorAll("tbody tr.differs").length;
    var unit = status.getAttribute("data-unit") || "rows";
    var one = unit === "cases" ? "case" : "row";
    var update = function () {
      table.classList.toggle("only-diff", box.checked);
      var shown = box.checked ? differing : total;
      status.textContent = "Showing " + shown.toLocaleString("en-US") + " of "
        + plural(total, one, unit) + (box.checked ? ": only those with a difference." : ".");
    };
    box.addEventListener("change", update);
    controls.hidden = false;
    if (box.checked) { update(); }
  }

  // Open in the page as written (readable without the script); collapsed here.
  details.forEach(function (d) { d.open = false; });
  var toolbar = document.getElementById("explain-tools");
  if (toolbar && details.length) {
    toolbar.hidden = false;
    document.getElementById("expand-all").addEventListener("click", function () {
      details.forEach(function (d) { d.open = true; });
    });
    document.getElementById("collapse-all").addEventListener("click", function () {
      details.forEach(function (d) { d.open = false; });
    });
  }

  // A link to a case, or to an explanation, opens it (also when the address already names it).
  // A fragment that is not valid percent-encoding (`#%E0%A4%A`) is taken as written: it must
  // not stop the script before its handlers are installed.
  function fromFragment(text) {
    try { return decodeURIComponent(text); } catch (e) { return text; }
  }
  function openId(id) {
    var target = id && document.getElementById(id);
    if (target) {
      if (target.matches("details.difference")) { target.open = true; }
      target.querySelectorAll("details.difference").forEach(function (d) { d.open = true; });
    }
  }
  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("a[href^='#']") : null;
    if (link) { openId(fromFragment(link.getAttribute("href").slice(1))); }
  });
  window.addEventListener("hashchange", function () {
    openId(fromFragment(location.hash.slice(1)));
  });
  openId(fromFragment(location.hash.slice(1)));

  // Print everything: open every explanation while printing, then restore.
  var before = [];
  window.addEventListener("beforeprint", function () {
    before = details.map(function (d) { return d.open; });
    details.forEach(function (d) { d.open = true; });
  });
  window.addEventListener("afterprint", function () {
    details.forEach(function (d, i) { d.open = before[i]; });
  });
}());

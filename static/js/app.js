/*
 * Progressive enhancement for every page. The site works without this file:
 * forms post, links navigate, the nav stays open. Loaded in <head> without `defer`
 * so the `js` class is set before the first paint (no flash of the open mobile nav).
 */
document.documentElement.classList.add("js");

document.addEventListener("DOMContentLoaded", function () {
  "use strict";

  // Collapsing navigation on narrow screens.
  var toggle = document.querySelector("[data-nav-toggle]");
  var panels = toggle
    ? toggle.getAttribute("aria-controls").split(/\s+/).map(function (id) {
        return document.getElementById(id);
      }).filter(Boolean)
    : [];
  if (toggle && panels.length) {
    var setOpen = function (open) {
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
      panels.forEach(function (panel) {
        panel.classList.toggle("is-open", open);
      });
    };
    toggle.addEventListener("click", function () {
      setOpen(toggle.getAttribute("aria-expanded") !== "true");
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && toggle.getAttribute("aria-expanded") === "true") {
        setOpen(false);
        toggle.focus();
      }
    });
  }

  // Forms marked data-confirm="…" ask before submitting (e.g. cancelling an order).
  document.addEventListener("submit", function (event) {
    var message = event.target.getAttribute && event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) {
      event.preventDefault();
    }
  }, true);
});

/*
 * Listing form enhancements. Without this file the form still works: it always shows two
 * empty price-tier rows, and the unit-price column heading names the saved currency.
 */
document.addEventListener("DOMContentLoaded", function () {
  "use strict";

  // "Add a price tier": a new row from the formset's empty form.
  var addButton = document.querySelector("[data-add-tier]");
  var template = document.querySelector("template[data-tier-template]");
  var rows = document.querySelector("[data-tier-rows]");
  var total = document.querySelector("input[name='tiers-TOTAL_FORMS']");
  var maxForms = document.querySelector("input[name='tiers-MAX_NUM_FORMS']");
  if (addButton && template && rows && total) {
    addButton.hidden = false;
    addButton.addEventListener("click", function () {
      var index = parseInt(total.value, 10);
      if (maxForms && index >= parseInt(maxForms.value, 10)) {
        return;
      }
      var html = template.innerHTML
        .replace(/__prefix__/g, String(index))
        .replace(/__number__/g, String(index + 1));
      rows.insertAdjacentHTML("beforeend", html);
      total.value = String(index + 1);
      var first = rows.lastElementChild && rows.lastElementChild.querySelector("input");
      if (first) {
        first.focus();
      }
    });
  }

  // Keep the unit-price heading in step with the chosen currency.
  var currency = document.querySelector("select[name='currency']");
  var label = document.querySelector("[data-currency-label]");
  if (currency && label) {
    var update = function () {
      label.textContent = currency.value;
    };
    currency.addEventListener("change", update);
    update();
  }

  // After a refused save, move focus to the summary so that screen readers announce it.
  var summary = document.getElementById("form-errors");
  if (summary) {
    summary.focus();
  }
});

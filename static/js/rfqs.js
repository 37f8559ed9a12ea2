/*
 * The RFQ form, progressively enhanced: the invited-sellers list is shown only when the RFQ
 * is for invited sellers (or when sellers are already ticked), and can be filtered by name.
 * Without JavaScript every field stays visible and the form works the same.
 */
document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  var section = document.querySelector("[data-invited-sellers]");
  if (!section) {
    return;
  }
  var radios = document.querySelectorAll('input[name="visibility"]');
  var boxes = section.querySelectorAll('input[name="invited_sellers"]');
  var filterWrap = section.querySelector("[data-seller-filter-wrap]");
  var filter = section.querySelector("[data-seller-filter]");

  var sync = function () {
    var invited = false;
    radios.forEach(function (radio) {
      if (radio.checked && radio.value === "invited") {
        invited = true;
      }
    });
    var anyTicked = Array.prototype.some.call(boxes, function (box) { return box.checked; });
    section.hidden = !(invited || anyTicked);
  };
  radios.forEach(function (radio) { radio.addEventListener("change", sync); });
  sync();

  if (filter && filterWrap && boxes.length > 8) {
    filterWrap.hidden = false;
    filter.addEventListener("input", function () {
      var needle = filter.value.trim().toLowerCase();
      boxes.forEach(function (box) {
        var row = box.closest("div") || box.parentElement;
        var label = row ? row.textContent.toLowerCase() : "";
        if (row) {
          row.hidden = needle !== "" && label.indexOf(needle) === -1 && !box.checked;
        }
      });
    });
  }
});

// Quote form: "Add a line" clones the formset's empty form; choosing a listing fills the line's
// description, HS code, origin, unit and packing (data from a JSON block, no inline script;
// an explicit choice, so it replaces what the line held);
// freight and insurance are shown only where the chosen Incoterm puts them on the seller.
(function () {
  "use strict";
  var form = document.getElementById("quote-form");
  if (!form) return;
  var listingData = JSON.parse(document.getElementById("quote-listing-data").textContent);
  var rules = JSON.parse(document.getElementById("quote-incoterm-rules").textContent);
  var total = form.querySelector("input[name='lines-TOTAL_FORMS']");
  var container = document.getElementById("quote-lines");
  var template = document.getElementById("quote-line-template");
  var addButton = document.getElementById("quote-add-line");

  function fillFromListing(select) {
    var data = listingData[select.value];
    if (!data) return;
    var prefix = select.name.replace(/-listing$/, "-");
    Object.keys(data).forEach(function (key) {
      var field = form.querySelector("[name='" + prefix + key + "']");
      if (field) field.value = data[key];
    });
  }

  function fieldWrapper(name) {
    var field = form.querySelector("[name='" + name + "']");
    return field ? field.closest(".field") : null;
  }

  function applyIncoterm() {
    var select = form.querySelector("[name='incoterm']");
    if (!select) return;
    var rule = rules[select.value] || { freight: true, insurance: true };
    var freight = fieldWrapper("freight");
    var insurance = fieldWrapper("insurance");
    if (freight) freight.hidden = !rule.freight;
    if (insurance) insurance.hidden = !rule.insurance;
  }

  form.addEventListener("change", function (event) {
    var target = event.target;
    if (target.name && /^lines-\d+-listing$/.test(target.name)) fillFromListing(target);
    if (target.name === "incoterm") applyIncoterm();
  });

  if (addButton && template && total) {
    addButton.addEventListener("click", function () {
      var index = parseInt(total.value, 10);
      var html = template.innerHTML.replace(/__prefix__/g, String(index)).replace(/__number__/g, String(index + 1));
      var holder = document.createElement("div");
      holder.innerHTML = html;
      var line = holder.firstElementChild;
      container.appendChild(line);
      total.value = String(index + 1);
      var first = line.querySelector("select, input");
      if (first) first.focus();
    });
  }
  applyIncoterm();
})();

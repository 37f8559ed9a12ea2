/*
 * The pay page with Stripe: mount the Payment Element on the PaymentIntent's client secret
 * and confirm it; Stripe then sends the buyer to the return page, which polls the status.
 * Stripe.js comes from js.stripe.com (Stripe requires it); without it the page says so.
 */
document.addEventListener("DOMContentLoaded", function () {
  "use strict";

  var form = document.querySelector("form[data-stripe-payment]");
  if (!form) {
    return;
  }
  var message = document.getElementById("payment-message");
  var progress = document.getElementById("payment-progress");
  var button = form.querySelector("[data-pay-button]");
  var loading = form.querySelector("[data-payment-loading]");

  function showError(text) {
    message.textContent = text;
    message.hidden = false;
  }

  if (typeof window.Stripe !== "function") {
    if (loading) {
      loading.textContent = "";
    }
    showError("Stripe's payment form could not be loaded. Check your connection and reload the page; nothing was charged.");
    return;
  }

  var stripe = window.Stripe(form.dataset.publishableKey);
  var elements = stripe.elements({ clientSecret: form.dataset.clientSecret });
  var paymentElement = elements.create("payment");
  paymentElement.on("ready", function () {
    if (loading) {
      loading.remove();
    }
    button.disabled = false;
  });
  paymentElement.mount(form.querySelector("[data-payment-element]"));

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    message.hidden = true;
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    progress.textContent = "Confirming your payment…";
    stripe
      .confirmPayment({ elements: elements, confirmParams: { return_url: form.dataset.returnUrl } })
      .then(function (result) {
        // Only reached when confirming failed before any redirect (card declined, invalid data).
        if (result.error) {
          showError(result.error.message || "The payment did not go through. Nothing was charged.");
        }
        progress.textContent = "";
        button.disabled = false;
        button.removeAttribute("aria-busy");
      });
  });
});

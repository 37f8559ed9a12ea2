/*
 * A conversation page: keep the newest message in view. New messages arrive by htmx polling
 * (the page works without this file: the thread scrolls by hand).
 */
(function () {
  "use strict";

  function toBottom() {
    var thread = document.getElementById("thread");
    if (thread) {
      thread.scrollTop = thread.scrollHeight;
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    toBottom();
    document.body.addEventListener("htmx:oobAfterSwap", function (event) {
      if (event.detail && event.detail.target && event.detail.target.id === "thread-list") {
        var empty = document.querySelector(".thread-empty");
        if (empty) {
          empty.remove();
        }
        toBottom();
      }
    });
  });
})();

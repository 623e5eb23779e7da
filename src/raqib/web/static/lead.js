// Raqib leads' pages: the removal orders' one-hour clock counts down by the second.
// Progressive enhancement only: the server already wrote the minutes left as text.
"use strict";

(function () {
  function two(n) {
    return (n < 10 ? "0" : "") + n;
  }

  function describe(left) {
    var past = left <= 0;
    var total = Math.abs(left);
    var text = Math.floor(total / 60) + ":" + two(total % 60);
    return past ? "overdue by " + text : text + " left";
  }

  function start() {
    var clocks = Array.prototype.slice.call(document.querySelectorAll("[data-order-clock]"));
    if (!clocks.length) {
      return;
    }
    var loaded = Date.now();
    function tick() {
      var passed = Math.floor((Date.now() - loaded) / 1000);
      clocks.forEach(function (clock) {
        var left = parseInt(clock.getAttribute("data-seconds-left") || "0", 10) - passed;
        clock.textContent = describe(left);
        clock.classList.toggle("soon", left > 0 && left <= 900);
        clock.classList.toggle("overdue", left <= 0);
      });
    }
    tick();
    window.setInterval(tick, 1000);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();

// Raqib console: progressive enhancement only; every page works without it.
// No inline script anywhere: the Content-Security-Policy allows scripts from this origin only.
"use strict";

(function () {
  // --- countdowns: [data-countdown][data-seconds] counts down from page load ----------------
  function formatSeconds(total) {
    var minutes = Math.floor(total / 60);
    var seconds = total % 60;
    return minutes + ":" + (seconds < 10 ? "0" : "") + seconds;
  }

  function startCountdowns() {
    var clocks = Array.prototype.slice.call(document.querySelectorAll("[data-countdown]"));
    if (!clocks.length) {
      return;
    }
    var started = Date.now();
    function tick() {
      var passed = Math.floor((Date.now() - started) / 1000);
      clocks.forEach(function (clock) {
        var left = parseInt(clock.getAttribute("data-seconds") || "0", 10) - passed;
        if (left > 0) {
          clock.textContent = formatSeconds(left);
          clock.classList.toggle("countdown-low", left <= 60);
        } else {
          clock.textContent = clock.getAttribute("data-expired-text") || "expired";
          clock.classList.add("countdown-expired");
        }
      });
    }
    tick();
    window.setInterval(tick, 1000);
  }

  // --- keyboard shortcuts: a key submits the button with data-shortcut="key" ----------------
  var submitting = false;

  function isTyping(target) {
    if (!target || !target.tagName) {
      return false;
    }
    var tag = target.tagName.toLowerCase();
    return tag === "input" || tag === "textarea" || tag === "select" || target.isContentEditable;
  }

  function warn(message) {
    var box = document.querySelector("[data-shortcut-warning]");
    if (box) {
      box.textContent = message;
      box.hidden = false;
    }
  }

  function reasonReady(button) {
    var id = button.getAttribute("data-reason-select");
    if (!id) {
      return true;
    }
    var select = document.getElementById(id);
    if (!select) {
      return true;
    }
    if (!select.value) {
      var preset = select.getAttribute("data-default-reason");
      if (preset) {
        select.value = preset;
      }
    }
    if (!select.value) {
      warn("Choose a reason first.");
      select.focus();
      return false;
    }
    return true;
  }

  function submitWith(button) {
    var form = button.form;
    if (!form || button.disabled) {
      return;
    }
    if (!reasonReady(button)) {
      return;
    }
    submitting = true;
    if (typeof form.requestSubmit === "function") {
      form.requestSubmit(button);
    } else {
      button.click();
    }
  }

  function onKey(event) {
    if (submitting || event.defaultPrevented || event.repeat) {
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey || isTyping(event.target)) {
      return;
    }
    var key = (event.key || "").toLowerCase();
    if (!/^[a-z0-9]$/.test(key)) {
      return;
    }
    var button = document.querySelector('button[data-shortcut="' + key + '"]');
    if (!button) {
      return;
    }
    event.preventDefault();
    submitWith(button);
  }

  // --- a reason select left empty falls back to its preset ---------------------------------
  function presetReasons() {
    document.querySelectorAll("select[data-default-reason]").forEach(function (select) {
      if (!select.value) {
        select.value = select.getAttribute("data-default-reason");
      }
    });
  }

  // One submission per page: a second click or key press while the next page loads is ignored.
  function guardForms() {
    document.querySelectorAll("form[data-decide-form], form[data-skip-form], form[data-bulk-form]")
      .forEach(function (form) {
        form.addEventListener("submit", function (event) {
          if (form.getAttribute("data-sent") === "1") {
            event.preventDefault();
            return;
          }
          form.setAttribute("data-sent", "1");
          submitting = true;
        });
      });
  }

  function start() {
    startCountdowns();
    presetReasons();
    guardForms();
    document.addEventListener("keydown", onKey);
    // a page restored by Back is live again
    window.addEventListener("pageshow", function (event) {
      if (event.persisted) {
        submitting = false;
        document.querySelectorAll("form[data-sent]").forEach(function (form) {
          form.removeAttribute("data-sent");
        });
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();

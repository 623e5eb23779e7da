"use strict";
// Wellbeing on the case page: click-to-reveal blurred media, warning screens, and a report of
// each first reveal to the server (it counts towards today's exposure). Hooks:
//   section[data-case-media][data-reveal-url] > figure[data-media-id]
//   .media[data-media] (classes: blurred, blur-N, greyscale; gains "revealed" when revealed)
//   button[data-reveal] (toggles), .media-warning[data-warning] button[data-show-media]
(function () {
  function csrfToken() {
    const meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") || "" : "";
  }

  function report(figure) {
    const section = figure.closest("[data-case-media]");
    if (!section || figure.hasAttribute("data-revealed-reported")) {
      return;
    }
    figure.setAttribute("data-revealed-reported", "");
    const body = new URLSearchParams();
    body.set("media_id", figure.getAttribute("data-media-id") || "");
    fetch(section.getAttribute("data-reveal-url"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRF-Token": csrfToken() },
      body: body,
    }).catch(function () { /* the count is best effort */ });
  }

  function setRevealed(figure, revealed) {
    const media = figure.querySelector("[data-media]");
    const button = figure.querySelector("[data-reveal]");
    figure.classList.toggle("revealed", revealed);
    if (media) {
      media.classList.toggle("blurred", !revealed);
      media.classList.toggle("revealed", revealed);
      if (!revealed && media.tagName === "VIDEO") {
        media.pause();
      }
    }
    if (button) {
      button.textContent = revealed ? "Blur again" : "Reveal";
      button.setAttribute("aria-pressed", revealed ? "true" : "false");
    }
    if (revealed) {
      report(figure);
    }
  }

  document.addEventListener("click", function (event) {
    const target = event.target instanceof Element ? event.target : null;
    if (!target) {
      return;
    }
    const reveal = target.closest("[data-reveal]");
    const show = target.closest("[data-show-media]");
    const figure = (reveal || show) ? (reveal || show).closest("[data-media-id]") : null;
    if (!figure) {
      return;
    }
    event.preventDefault();
    if (show) {
      figure.classList.remove("warned");
      const warning = figure.querySelector("[data-warning]");
      if (warning) {
        warning.hidden = true;
      }
      const next = figure.querySelector("[data-reveal]");
      if (next) {
        next.focus();
      }
      return;
    }
    setRevealed(figure, !figure.classList.contains("revealed"));
  });

  // Videos never play by themselves and start muted when the reviewer's choice says so.
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("video[data-media]").forEach(function (video) {
      video.autoplay = false;
      if (video.hasAttribute("muted")) {
        video.muted = true;
      }
    });
  });
})();

// The console's only script: copy buttons, the Service password panel's
// live rule hints (the server checks every rule again), and the privileged
// window countdown. Loaded from 'self' under the Content-Security-Policy.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  // Copy buttons: data-copy names the element whose text is copied.
  for (const b of document.querySelectorAll("button[data-copy]")) {
    b.addEventListener("click", async () => {
      const el = document.getElementById(b.dataset.copy);
      const note = b.parentElement.querySelector(".copied");
      try {
        await navigator.clipboard.writeText(el.textContent.trim());
        if (note) note.textContent = "Copied";
      } catch (e) {
        if (note) note.textContent = "Select the code and copy it";
      }
    });
  }

  // The result dialog is modal while open.
  const dlg = document.getElementById("issued");
  if (dlg && dlg.open && dlg.showModal) {
    dlg.close();
    dlg.showModal();
  }

  const form = document.getElementById("sp-form");
  if (form) servicePasswordPanel(form);

  // Countdown of the privileged window.
  for (const el of document.querySelectorAll("[data-countdown]")) {
    const end = Date.parse(el.dataset.countdown);
    const tick = () => {
      const left = Math.max(0, Math.round((end - Date.now()) / 1000));
      const m = Math.floor(left / 60), s = left % 60;
      el.textContent = m + " min " + String(s).padStart(2, "0") + " s";
      if (left > 0) setTimeout(tick, 1000);
    };
    tick();
  }
});

function servicePasswordPanel(form) {
  const boxes = [...form.querySelectorAll("input[name=action]")];
  const expires = form.querySelector("#expires");
  const qr = form.querySelector("#qr");
  const send = form.querySelector("#send_email");
  const email = form.querySelector("#email");
  const kind = form.querySelector("#kind-challenge");

  const update = () => {
    // "Device shows a challenge": the challenge field instead of the
    // expiry, QR and email, which a response does not have.
    const challenge = kind.checked;
    for (const el of form.querySelectorAll(".code-only")) {
      el.hidden = challenge;
      for (const i of el.querySelectorAll("input, select")) i.disabled = challenge;
    }
    for (const el of form.querySelectorAll(".challenge-only")) {
      el.hidden = !challenge;
      for (const i of el.querySelectorAll("input")) i.disabled = !challenge;
    }
    if (challenge) return;
    const dayValid = boxes.some((b) => b.checked && b.hasAttribute("data-day-valid"));
    // A COPE Set Password code expires at the end of a date: no time, no QR.
    const want = dayValid ? "date" : "datetime-local";
    if (expires.type !== want) {
      const v = expires.value;
      expires.type = want;
      if (want === "date") {
        expires.value = v.slice(0, 10);
      } else if (v.length === 10) {
        expires.value = v + "T" + expires.dataset.max.slice(11);
      }
    }
    expires.min = dayValid ? expires.dataset.min.slice(0, 10) : expires.dataset.min;
    expires.max = dayValid ? expires.dataset.max.slice(0, 10) : expires.dataset.max;
    if (dayValid) qr.checked = false;
    qr.disabled = dayValid;
    email.required = send.checked;
  };

  for (const b of boxes) {
    b.addEventListener("change", () => {
      if (!b.checked) return update();
      // An exclusive action clears the others, and any other clears it.
      for (const o of boxes) {
        if (o !== b && (b.hasAttribute("data-exclusive") || o.hasAttribute("data-exclusive"))) o.checked = false;
      }
      update();
    });
  }
  send.addEventListener("change", update);
  for (const r of form.querySelectorAll("input[name=kind]")) r.addEventListener("change", update);
  update();
}

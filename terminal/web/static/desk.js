/* The storno, lookup, reprint, report and cash screens: storno countdowns, arrow keys through a
 * list, the "printing..." state, and a slip's QR code scanned into the number field.
 *
 * Loaded only by those screens (templates/_desk.html); counter.js still does the rest (the
 * data-key shortcuts, the event stream, the inactivity lock). The server decides everything
 * that matters: a countdown only shows the seconds it gave, and the storno service checks the
 * window again when the clerk confirms.
 */
(function () {
  "use strict";

  const $ = (selector, root) => (root || document).querySelector(selector);
  const $$ = (selector, root) => Array.from((root || document).querySelectorAll(selector));
  const typing = (el) =>
    el && (el.tagName === "INPUT" || el.tagName === "SELECT" || el.tagName === "TEXTAREA");

  /* -- storno countdowns: from the server's seconds left, on the page's own monotonic clock -- */
  function format(seconds) {
    const hours = Math.floor(seconds / 3600);
    const minutes = Math.floor((seconds % 3600) / 60);
    const secs = String(seconds % 60).padStart(2, "0");
    return hours ? `${hours}:${String(minutes).padStart(2, "0")}:${secs}` : `${minutes}:${secs}`;
  }

  function close(clock) {
    clock.closed = true;
    const el = clock.el;
    el.dataset.leftS = "0";
    el.dataset.closed = "1";
    el.classList.add("closed");
    el.textContent = el.dataset.closedText || "";
    const box = el.closest("[data-closes]");
    if (!box) return;
    box.classList.add("closed");
    $$("[data-pick]", box).forEach((pick) => {
      if (document.activeElement === pick) pick.blur();
      pick.removeAttribute("href");
      pick.removeAttribute("data-key");
      pick.setAttribute("aria-disabled", "true");
      pick.addEventListener("click", (event) => event.preventDefault());
    });
    $$("[data-closes-submit]", box).forEach((button) => {
      button.disabled = true;
      button.setAttribute("aria-disabled", "true");
    });
    $$("[data-closed-message]", box).forEach((line) => { line.hidden = false; });
  }

  const started = performance.now();
  const clocks = $$("[data-countdown]").map((el) => ({
    el: el,
    leftMs: parseInt(el.dataset.leftMs || "0", 10),
    closed: false,
  }));

  function tick() {
    const elapsed = performance.now() - started;
    clocks.forEach((clock) => {
      if (clock.closed) return;
      const left = clock.leftMs - elapsed;
      if (left <= 0) {
        close(clock);
        return;
      }
      const seconds = Math.ceil(left / 1000);
      if (clock.el.dataset.leftS !== String(seconds)) {
        clock.el.dataset.leftS = String(seconds);
        const shown = $("[data-left]", clock.el);
        if (shown) shown.textContent = format(seconds);
      }
    });
  }
  if (clocks.length) {
    tick();
    setInterval(tick, 200);
  }

  /* -- a list: ↓ from the number field into the list, ↓ ↑ through it, Enter opens ---------- */
  const list = $("[data-list]");
  if (list) {
    document.addEventListener("keydown", (event) => {
      if (event.key !== "ArrowDown" && event.key !== "ArrowUp") return;
      const picks = $$("[data-pick][href]", list);
      const active = document.activeElement;
      const at = picks.indexOf(active);
      if (at < 0 && typing(active) && !active.hasAttribute("data-scan-target")) return;
      let next = null;
      if (event.key === "ArrowDown") next = at < 0 ? picks[0] : picks[Math.min(at + 1, picks.length - 1)];
      else if (at === 0) next = $("[data-scan-target]");
      else if (at > 0) next = picks[at - 1];
      if (!next) return;
      event.preventDefault();
      next.focus();
    });
  }

  /* -- choosing a reason or a kind moves the cursor to the button that acts on it ---------- */
  $$("form[data-choice-focus]").forEach((form) => {
    form.addEventListener("change", (event) => {
      if (event.target.type !== "radio") return;
      const button = document.getElementById(form.dataset.choiceFocus);
      if (button && !button.disabled) button.focus();
    });
  });

  /* -- printing: one submit only, and the clerk sees that the printer is at work ------------ */
  $$("form[data-printing]").forEach((form) => {
    let sent = false;
    form.addEventListener("submit", (event) => {
      if (sent) {
        event.preventDefault();
        return;
      }
      sent = true;
      const overlay = document.getElementById(form.dataset.printing);
      if (overlay) overlay.hidden = false;
      $$("button[type=submit]", form).forEach((button) => {
        button.setAttribute("aria-disabled", "true");
        setTimeout(() => { button.disabled = true; }, 0); // after the browser took its value
      });
    });
  });
  // Back to a page the browser kept (its form already sent): load it afresh instead.
  window.addEventListener("pageshow", (event) => {
    if (event.persisted && $("form[data-printing]")) window.location.reload();
  });

  /* -- a slip's QR code scanned at the counter fills the number field and sends it --------- */
  document.addEventListener("counter:device", (event) => {
    const data = event.detail || {};
    if (data.kind !== "scanned_transaction" || !data.txn) return;
    const field = $("[data-scan-target]");
    if (!field || !field.form || field.disabled) return;
    field.value = data.txn;
    const kind = field.dataset.scanChoose && document.getElementById(field.dataset.scanChoose);
    if (kind) kind.checked = true;
    field.form.requestSubmit();
  });
})();

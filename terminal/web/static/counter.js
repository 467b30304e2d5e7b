/* The counter screen's behaviour: keyboard map, keypad, sale form checks, events, auto-lock.
 *
 * The server decides everything that matters (what is valid, where Enter goes next, whether a
 * session is locked); this script only moves the cursor, sends checks through htmx and shows
 * what the server pushes. No build step: plain ES2017 over the vendored htmx.
 */
(function () {
  "use strict";

  const body = document.body;
  const $ = (selector, root) => (root || document).querySelector(selector);
  const $$ = (selector, root) => Array.from((root || document).querySelectorAll(selector));
  const typing = (el) =>
    el && (el.tagName === "INPUT" || el.tagName === "SELECT" || el.tagName === "TEXTAREA");
  const visible = (el) => el && !el.hidden && el.offsetParent !== null;

  /* -- the status bar's height, for the page's scroll padding (counter.css) ---------------- */
  const statusBar = $("#status-bar");
  if (statusBar) {
    const measure = () =>
      document.documentElement.style.setProperty("--status-h", statusBar.offsetHeight + "px");
    measure();
    if (window.ResizeObserver) new ResizeObserver(measure).observe(statusBar);
  }

  function toast(text) {
    const box = $("#toast");
    if (!box) return;
    box.textContent = text;
    box.hidden = false;
    clearTimeout(toast.timer);
    toast.timer = setTimeout(() => { box.hidden = true; }, 6000);
  }

  /* -- keyboard map: any visible element with data-key="<KeyboardEvent.key>" --------------- */
  document.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) return;
    const key = event.key;
    const special = key === "Escape" || /^F\d{1,2}$/.test(key);
    if (!special && typing(document.activeElement)) return;
    const target = $$(`[data-key="${CSS.escape(key)}"]`).find(visible);
    if (!target) return;
    event.preventDefault();
    target.click();
  });

  /* -- Enter moves to the next field; in the last one it submits (sign-in, lock) ---------- */
  $$("form[data-enter=next]").forEach((form) => {
    form.addEventListener("keydown", (event) => {
      if (event.key !== "Enter" || !typing(event.target)) return;
      const inputs = $$("input:not([type=hidden])", form);
      const next = inputs[inputs.indexOf(event.target) + 1];
      if (next && !next.value) {
        event.preventDefault();
        next.focus();
      }
    });
  });

  /* -- on-screen keypad: types into the field that had the focus -------------------------- */
  let lastField = null;
  document.addEventListener("focusin", (event) => {
    if (typing(event.target)) lastField = event.target;
  });
  $$("[data-keypad]").forEach((button) => {
    button.addEventListener("pointerdown", (event) => event.preventDefault()); // keep focus
    button.addEventListener("click", () => {
      const scope = button.closest(".with-keypad") || document;
      let field = lastField && scope.contains(lastField) ? lastField : $("input:not([type=hidden])", scope);
      if (!field) return;
      const key = button.dataset.keypad;
      if (key === "back") field.value = field.value.slice(0, -1);
      else if (key === "enter") {
        field.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true }));
        if (field.form && field === $$("input:not([type=hidden])", field.form).pop()) field.form.requestSubmit();
        return;
      } else field.value += key;
      field.focus();
      field.dispatchEvent(new Event("input", { bubbles: true }));
    });
  });

  /* -- the sale form ----------------------------------------------------------------------- */
  const form = $("#sale-form");
  let submitting = false;

  function fieldElement(name) {
    if (name === "sell") return $("#sell");
    const all = $$(`[data-field="${name}"]`, form).filter((el) => el.tagName !== "FIELDSET");
    return all.find((el) => el.checked) || all[0];
  }

  /* A check posts the whole form; only the newest answer is shown (a slow answer to an
     older check never overwrites a newer one), and htmx swaps it in with its out-of-band
     parts (each field's refusal, the quick cash buttons). */
  let checkSeq = 0;
  let liveTimer = null;

  function check(focusFrom, live) {
    if (!form) return Promise.resolve();
    if (!live) clearTimeout(liveTimer);
    const seq = ++checkSeq;
    const data = new URLSearchParams(new FormData(form));
    data.set("focus_from", focusFrom || "");
    data.set("live", live || "");
    return fetch(form.dataset.check, {
      method: "POST", body: data, credentials: "same-origin", headers: { "HX-Request": "true" },
    }).then((response) => {
      const to = response.headers.get("HX-Redirect");
      if (to) { window.location.assign(to); return null; }
      return response.ok ? response.text() : null;
    }).then((html) => {
      if (html === null || seq !== checkSeq) return;
      htmx.swap("#sale-check", html, { swapStyle: "innerHTML", swapDelay: 0, settleDelay: 0 });
      afterCheck();
    });
  }

  function afterCheck() {
    const next = $("#check-result").dataset.nextFocus;
    const el = next && fieldElement(next);
    if (!el) return;
    el.focus();
    if (el.select && el.type !== "radio" && el.type !== "checkbox" && !el.readOnly) el.select();
  }

  function markUnchecked() {
    const result = $("#check-result");
    if (result) result.dataset.ready = "0";
  }

  if (form) {
    form.addEventListener("keydown", (event) => {
      const name = event.target.dataset && event.target.dataset.field;
      if (event.key === "Enter" && name) {
        event.preventDefault();
        if (name === "target" && event.target.hasAttribute("data-card-field") && /^[%;]/.test(event.target.value)) {
          wedge(event.target);
          return;
        }
        check(name);
        return;
      }
      if ((event.key === "+" || event.key === "-") && name) {
        const quick = $(`[data-quick-for="${name}"]`);
        if (quick && quick.children.length) {
          event.preventDefault();
          stepQuick(event.target, quick, event.key === "+" ? 1 : -1);
        }
      }
    });

    form.addEventListener("input", (event) => {
      markUnchecked();
      const el = event.target;
      if (el.hasAttribute("data-card-field") && el.hasAttribute("data-swiped")) clearSwipe();
      if (!el.hasAttribute("data-live")) return;
      clearTimeout(liveTimer);
      liveTimer = setTimeout(() => check("", el.dataset.field), 250);
    });

    form.addEventListener("change", (event) => {
      const el = event.target;
      if (el.tagName === "SELECT" || el.type === "radio" || el.type === "checkbox") {
        markUnchecked();
        check(el.dataset.field);
      }
    });

    form.addEventListener("click", (event) => {
      const button = event.target.closest("[data-quick-for] button[data-value]");
      if (!button) return;
      const name = button.parentElement.dataset.quickFor;
      const input = fieldElement(name);
      input.value = button.dataset.value;
      markUnchecked();
      check(name);
    });

    form.addEventListener("submit", (event) => {
      if (submitting) {
        event.preventDefault();
        return;
      }
      const result = $("#check-result");
      if (!result || result.dataset.ready !== "1") {
        event.preventDefault();
        const fields = form.dataset.fields.split(",");
        check(fields[fields.length - 1]);
        return;
      }
      submitting = true;
      $$("input, select", form).forEach((el) => { el.readOnly = true; });
      $("#sell").setAttribute("aria-disabled", "true");
      setTimeout(() => { $("#sell").disabled = true; }, 0);
      $("#printing").hidden = false;
    });

    const clear = $("[data-clear-card]");
    if (clear) clear.addEventListener("click", () => { clearSwipe(); fieldElement("target").focus(); });
  }

  function stepQuick(input, quick, direction) {
    const values = $$("button[data-value]", quick).map((b) => b.dataset.value);
    const current = parseFloat((input.value || "0").replace(",", ".")) || 0;
    const numbers = values.map((v) => parseFloat(v.replace(",", ".")));  // typed in the locale: 52,30
    let index;
    if (direction > 0) index = numbers.findIndex((n) => n > current);
    else index = numbers.map((n, i) => [n, i]).filter(([n]) => n < current).map(([, i]) => i).pop();
    if (index === undefined || index < 0) index = direction > 0 ? values.length - 1 : 0;
    input.value = values[index];
    input.dispatchEvent(new Event("input", { bubbles: true }));
  }

  /* -- cards: a swipe fills the card field with the masked number, never the number ------- */
  function clearSwipe() {
    const field = form && $("[data-card-field]", form);
    if (!field) return;
    if (field.hasAttribute("data-swiped")) field.value = "";
    field.removeAttribute("data-swiped");
    field.readOnly = false;
    $("#f-card_swipe_id").value = "";
    const clear = $("[data-clear-card]");
    if (clear) clear.hidden = true;
  }

  function grouped(masked) {
    const text = masked.replace(/\s/g, "");
    const head = text.length % 4;
    const groups = head ? [text.slice(0, head)] : [];
    for (let i = head; i < text.length; i += 4) groups.push(text.slice(i, i + 4));
    return groups.join(" ");
  }

  function fillCard(data) {
    const field = form && $("[data-card-field]", form);
    if (field) {
      field.value = grouped(data.masked);
      field.readOnly = true;
      field.setAttribute("data-swiped", "");
      $("#f-card_swipe_id").value = data.swipe_id;
      const clear = $("[data-clear-card]");
      if (clear) clear.hidden = false;
      markUnchecked();
      check("target");
      return;
    }
    const home = $("[data-swipe-product]");
    if (home) {
      const query = new URLSearchParams({ swipe_id: data.swipe_id, masked: grouped(data.masked) });
      window.location.assign(`/ui/sale/${home.dataset.swipeProduct}?${query}`);
    }
  }

  function wedge(field) {
    const keys = field.value + "\r";
    field.value = "";
    fetch("/ui/devices/wedge", {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ keys: keys }),
      credentials: "same-origin",
    });
  }

  /* -- server-sent events: the status bar and the counter's devices ----------------------- */
  if (body.dataset.signedIn === "1" && window.EventSource) {
    const events = new EventSource("/ui/events");
    events.addEventListener("status", (event) => {
      const bar = $("#status-bar");
      if (!bar) return;
      bar.innerHTML = event.data;
      if (window.htmx) htmx.process(bar);
    });
    events.addEventListener("device", (event) => {
      const data = JSON.parse(event.data);
      document.dispatchEvent(new CustomEvent("counter:device", { detail: data }));
      if ((data.kind === "card_swiped" || data.kind === "scanned_card") && data.swipe_id) fillCard(data);
      else if (data.kind === "swipe_failed") toast(body.dataset.swipeFailed || data.message);
    });
    window.counterEvents = events;
  }

  /* -- inactivity: the server locks by itself; the page follows and keeps it informed ----- */
  const lockAfter = parseInt(body.dataset.autoLockS || "0", 10);
  if (lockAfter > 0 && body.dataset.locked !== "1") {
    let lastInput = Date.now();
    let lastSent = Date.now();
    const active = () => {
      lastInput = Date.now();
      if (lastInput - lastSent > Math.min(30000, lockAfter * 500)) {
        lastSent = lastInput;
        fetch("/ui/activity", { method: "POST", credentials: "same-origin" }).then((response) => {
          if (response.redirected && !response.url.endsWith("/ui/activity")) window.location.assign(response.url);
        });
      }
    };
    document.addEventListener("keydown", active, true);
    document.addEventListener("pointerdown", active, true);
    setInterval(() => {
      if (submitting) return;
      if (Date.now() - lastInput >= lockAfter * 1000) {
        const lock = $("#lock-form");
        if (lock) lock.requestSubmit();
      }
    }, 1000);
  }

  /* -- the cursor starts where the page says --------------------------------------------- */
  window.addEventListener("load", () => {
    if (document.activeElement === body || !document.activeElement) {
      const first = $("[autofocus]");
      if (first) first.focus();
    }
    /* The browser scrolled to the autofocus field before the status bar's height was known
       (and before the fonts loaded): bring the cursor's field above the bar again. */
    const focused = document.activeElement;
    if (focused && focused !== body && focused.scrollIntoView) {
      focused.scrollIntoView({ block: "nearest" });
    }
  });
})();

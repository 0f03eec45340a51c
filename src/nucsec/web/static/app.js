// nucsec pages: live banner of the label picker, and small keyboard-friendly helpers.
// No inline scripts (the CSP forbids them); the pages work without this file.
"use strict";

(function () {
  const form = document.getElementById("doc-form");
  if (!form) {
    return;
  }
  const csrfMeta = document.querySelector('meta[name="csrf-token"]');
  const csrf = csrfMeta ? csrfMeta.getAttribute("content") : "";
  const preview = document.getElementById("banner-preview");
  const titleSame = document.getElementById("title_same");
  const titleWrap = document.getElementById("title-picker-wrap");
  let timer = null;
  let seq = 0;

  function syncTitlePicker() {
    if (!titleSame || !titleWrap) {
      return;
    }
    titleWrap.hidden = titleSame.checked;
    const picker = titleWrap.querySelector("fieldset.picker");
    if (picker) {
      picker.disabled = titleSame.checked;  // not submitted while the title follows the body
    }
  }

  function syncRelTo() {
    form.querySelectorAll("fieldset.picker").forEach(function (picker) {
      const prefix = picker.dataset.prefix;
      const chosen = picker.querySelector('input[name="' + prefix + '_dissem"]:checked');
      const relTo = picker.querySelector("fieldset.rel-to");
      if (relTo) {
        relTo.disabled = !chosen || chosen.value !== "relto";
      }
    });
  }

  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) {
      node.textContent = text;
    }
    return node;
  }

  function show(result) {
    const heading = preview.querySelector("h2");
    const button = preview.querySelector("button");
    preview.replaceChildren(heading);
    if (result.ok) {
      const bar = el("div", { class: "banner " + result.css, id: "preview-banner" });
      result.banner.forEach(function (r, i) {
        bar.appendChild(el("span", { class: i === 0 ? "marking primary" : "marking", lang: r.lang, "data-nation": r.nation }, r.text));
      });
      preview.appendChild(bar);
      preview.appendChild(el("p", { class: "muted" }, "Title " + result.title_mark + " · body " + result.body_mark));
    } else {
      const bar = el("div", { class: "banner unset", id: "preview-banner" });
      bar.appendChild(el("span", { class: "marking primary" }, "—"));
      preview.appendChild(bar);
      preview.appendChild(el("p", { class: "muted", id: "preview-message" }, result.message || "not a valid marking"));
    }
    preview.appendChild(button);
  }

  function refresh() {
    const mine = ++seq;
    const data = new URLSearchParams(new FormData(form));
    fetch("/ui/label-preview", {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "X-CSRF-Token": csrf },
    })
      .then(function (response) { return response.json(); })
      .then(function (result) {
        if (mine === seq) {
          show(result);
        }
      })
      .catch(function () { /* keep the last banner; the server checks on save */ });
  }

  function changed(event) {
    const name = event.target && event.target.name ? event.target.name : "";
    if (name === "title" || name === "body" || name === "note") {
      return;
    }
    syncTitlePicker();
    syncRelTo();
    window.clearTimeout(timer);
    timer = window.setTimeout(refresh, 120);
  }

  form.addEventListener("change", changed);
  syncTitlePicker();
  syncRelTo();
  refresh();
})();

// nucsec record forms (incidents, shared analyses): live banner of the label pickers.
// No inline scripts (the CSP forbids them); the forms work without this file.
"use strict";

(function () {
  const csrfMeta = document.querySelector('meta[name="csrf-token"]');
  const csrf = csrfMeta ? csrfMeta.getAttribute("content") : "";

  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) {
      node.textContent = text;
    }
    return node;
  }

  function syncRelTo(form) {
    form.querySelectorAll("fieldset.picker").forEach(function (picker) {
      const prefix = picker.dataset.prefix;
      const chosen = picker.querySelector('input[name="' + prefix + '_dissem"]:checked');
      const relTo = picker.querySelector("fieldset.rel-to");
      if (relTo) {
        relTo.disabled = !chosen || chosen.value !== "relto";
      }
    });
  }

  function show(section, result) {
    const heading = section.querySelector("h2");
    section.replaceChildren(heading);
    const bar = el("div", { class: "banner " + (result.ok ? result.css : "unset"), id: "preview-banner" });
    if (result.ok) {
      result.banner.forEach(function (r, i) {
        bar.appendChild(el("span", { class: i === 0 ? "marking primary" : "marking", lang: r.lang, "data-nation": r.nation }, r.text));
      });
      section.appendChild(bar);
    } else {
      bar.appendChild(el("span", { class: "marking primary" }, "—"));
      section.appendChild(bar);
      section.appendChild(el("p", { class: "muted", id: "preview-message" }, result.message || "not a valid marking"));
    }
  }

  document.querySelectorAll("form[data-preview-form]").forEach(function (form) {
    const section = form.querySelector("section.preview");
    let timer = null;
    let seq = 0;

    function refresh() {
      if (!section) {
        return;
      }
      const mine = ++seq;
      const data = new URLSearchParams();
      new FormData(form).forEach(function (value, key) {
        if (typeof value === "string") {
          data.append(key, value);
        }
      });
      fetch("/ui/banner-preview", {
        method: "POST",
        body: data,
        credentials: "same-origin",
        headers: { "X-CSRF-Token": csrf },
      })
        .then(function (response) { return response.json(); })
        .then(function (result) {
          if (mine === seq) {
            show(section, result);
          }
        })
        .catch(function () { /* keep the last banner; the server decides on save */ });
    }

    form.addEventListener("change", function (event) {
      const name = event.target && event.target.name ? event.target.name : "";
      if (!/_(level|dissem|rel|orcon|comp|same)$/.test(name)) {
        return;
      }
      syncRelTo(form);
      window.clearTimeout(timer);
      timer = window.setTimeout(refresh, 120);
    });
    syncRelTo(form);
  });
})();

// nucsec spectrum upload: drop a detector file onto the form, and a progress bar while it
// uploads (XMLHttpRequest upload progress). The response (the result page, or the form
// with its error) replaces the page, as the plain form's POST would; without JavaScript
// the plain form works unchanged.
"use strict";

(function () {
  const form = document.getElementById("spectrum-upload");
  if (!form || !window.FormData || !window.XMLHttpRequest) {
    return;
  }
  const input = form.querySelector('input[type="file"]');
  const box = document.getElementById("upload-progress");
  const bar = document.getElementById("upload-bar");
  const percent = document.getElementById("upload-percent");
  document.getElementById("drop-hint").hidden = false;

  form.addEventListener("dragover", function (event) {
    event.preventDefault();
    form.classList.add("dropping");
  });
  form.addEventListener("dragleave", function () { form.classList.remove("dropping"); });
  form.addEventListener("drop", function (event) {
    event.preventDefault();
    form.classList.remove("dropping");
    if (event.dataTransfer && event.dataTransfer.files.length) {
      input.files = event.dataTransfer.files;
      input.dispatchEvent(new Event("change", { bubbles: true }));
    }
  });

  form.addEventListener("submit", function (event) {
    if (!input.files.length) { return; }  // the browser says the file is required
    event.preventDefault();
    const request = new XMLHttpRequest();
    request.open("POST", form.action);
    request.upload.addEventListener("progress", function (e) {
      if (!e.lengthComputable) { return; }
      bar.value = Math.round(100 * e.loaded / e.total);
      percent.textContent = bar.value + " %";
    });
    request.upload.addEventListener("load", function () {
      bar.value = 100;
      percent.textContent = percent.dataset.analysing;
    });
    request.addEventListener("load", function () {
      // the server's page (result, or the form with the reason) as the plain POST shows it
      document.open();
      document.write(request.responseText);
      document.close();
    });
    request.addEventListener("error", function () { form.submit(); });
    box.hidden = false;
    form.querySelector('button[type="submit"]').disabled = true;
    request.send(new FormData(form));
  });
})();

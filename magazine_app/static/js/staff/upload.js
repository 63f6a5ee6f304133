// Staff upload form: drag and drop, instant size check, duplicate-number warning, and an
// XHR upload with a progress bar (fetch cannot report upload progress).
const form = document.getElementById("upload-form");

function formatBytes(n) {
  if (n >= 1024 * 1024) return `${(n / (1024 * 1024)).toFixed(1).replace(".", ",")} Mo`;
  return `${Math.max(1, Math.round(n / 1024))} Ko`;
}

if (form) {
  const input = form.querySelector("#pdf");
  const zone = form.querySelector("#dropzone");
  const nameOut = form.querySelector("#pdf-name");
  const errorBox = form.querySelector("#upload-error");
  const progress = form.querySelector("#upload-progress");
  const fill = form.querySelector("#upload-fill");
  const label = form.querySelector("#upload-label");
  const submit = form.querySelector("#upload-submit");
  const maxBytes = Number(form.dataset.maxBytes);
  const csrf = form.querySelector('input[name="csrf_token"]').value;
  let duplicate = null;
  let uploading = false;

  const showError = (message) => {
    errorBox.textContent = message;
    errorBox.hidden = !message;
    if (message) errorBox.scrollIntoView({ block: "center", behavior: "smooth" });
  };
  const fieldError = (name, message) => {
    const out = form.querySelector(`[data-error-for="${name}"]`);
    if (!out) return;
    out.textContent = message || "";
    out.hidden = !message;
  };

  const checkFile = () => {
    const file = input.files[0];
    nameOut.textContent = file ? `${file.name} — ${formatBytes(file.size)}` : "";
    if (file && file.size > maxBytes) {
      showError(
        `Ce fichier fait ${formatBytes(file.size)} : la taille maximale est de ` +
          `${form.dataset.maxLabel}. Réduisez le PDF puis réessayez.`,
      );
      return false;
    }
    showError("");
    return true;
  };
  input.addEventListener("change", checkFile);

  ["dragenter", "dragover"].forEach((type) =>
    zone.addEventListener(type, (event) => {
      event.preventDefault();
      zone.classList.add("is-over");
    }),
  );
  ["dragleave", "drop"].forEach((type) =>
    zone.addEventListener(type, () => zone.classList.remove("is-over")),
  );
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    if (event.dataTransfer && event.dataTransfer.files.length) {
      input.files = event.dataTransfer.files;
      checkFile();
    }
  });

  // Warn while typing when this publication + number already exists.
  const numberInput = form.querySelector('[name="number"]');
  const publication = form.querySelector('[name="publication"]');
  const checkNumber = async () => {
    duplicate = null;
    fieldError("number", "");
    if (!numberInput.value) return;
    const url = new URL(form.dataset.checkUrl, window.location.href);
    url.searchParams.set("publication", publication.value);
    url.searchParams.set("number", numberInput.value);
    try {
      const response = await fetch(url, { headers: { Accept: "application/json" } });
      const data = await response.json();
      if (data.exists) {
        duplicate = data.message;
        fieldError("number", `${data.message} Ouvrez-le pour le modifier, ou changez de numéro.`);
      }
    } catch {
      // The server checks again on submit; a failed pre-check only loses the early warning.
    }
  };
  numberInput.addEventListener("change", checkNumber);
  publication.addEventListener("change", checkNumber);

  window.addEventListener("beforeunload", (event) => {
    if (uploading) event.preventDefault();
  });

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (uploading) return;
    if (!input.files.length) {
      showError("Choisissez le fichier PDF du numéro.");
      return;
    }
    if (!checkFile()) return;
    if (duplicate) {
      showError(`${duplicate} Changez de numéro ou supprimez l'existant.`);
      return;
    }
    form.querySelectorAll("[data-error-for]").forEach((el) => {
      el.hidden = true;
    });
    const file = input.files[0];
    const xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("X-CSRFToken", csrf);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.addEventListener("progress", (e) => {
      if (!e.lengthComputable) return;
      const percent = Math.round((100 * e.loaded) / e.total);
      fill.style.width = `${percent}%`;
      label.textContent = `Envoi : ${percent} % (${formatBytes(Math.min(e.loaded, file.size))} sur ${formatBytes(file.size)})`;
    });
    xhr.upload.addEventListener("load", () => {
      fill.style.width = "100%";
      label.textContent = "Fichier envoyé, vérification…";
    });
    const finish = () => {
      uploading = false;
      submit.disabled = false;
    };
    xhr.addEventListener("load", () => {
      let data = {};
      try {
        data = JSON.parse(xhr.responseText);
      } catch {
        data = { error: `Erreur du serveur (${xhr.status}). Réessayez dans un instant.` };
      }
      if (xhr.status < 300 && data.ok) {
        label.textContent = "Fichier reçu : ouverture du suivi du traitement…";
        uploading = false;
        window.location.assign(data.url);
        return;
      }
      finish();
      progress.hidden = true;
      showError(data.error || `Le téléversement a échoué (${xhr.status}).`);
      for (const [name, messages] of Object.entries(data.fields || {})) {
        fieldError(name, messages.join(" "));
      }
    });
    xhr.addEventListener("error", () => {
      finish();
      progress.hidden = true;
      showError(
        "La connexion a été interrompue pendant l'envoi (réseau, ou fichier refusé par le serveur). " +
          "Vérifiez la connexion puis réessayez.",
      );
    });
    uploading = true;
    submit.disabled = true;
    showError("");
    fill.style.width = "0%";
    label.textContent = "Envoi…";
    progress.hidden = false;
    xhr.send(new FormData(form));
  });
}

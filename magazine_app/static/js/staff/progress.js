// Live processing progress on a staff issue page: polls a small JSON endpoint until the
// job is done or failed. No page reload while it runs; once done, the page reloads once
// to show the page thumbnails and enable publishing.
const job = document.getElementById("job");

if (job) {
  const fill = document.getElementById("job-fill");
  const bar = document.getElementById("job-bar");
  const badges = document.querySelectorAll("[data-job-status]");
  const label = document.getElementById("job-label");
  const hint = document.getElementById("job-hint");
  const failure = document.getElementById("job-failure");
  const reason = document.getElementById("job-reason");
  const every = Math.max(0.25, Number(job.dataset.poll) || 1) * 1000;
  let failures = 0;

  const render = (state) => {
    job.dataset.status = state.status;
    badges.forEach((badge) => {
      badge.className = `badge badge--${state.status}`;
      badge.textContent = state.status_label;
    });
    fill.style.width = `${state.percent}%`;
    bar.setAttribute("aria-valuenow", String(state.percent));
    label.textContent = state.label;
    hint.textContent = state.hint || "";
    hint.hidden = !state.hint;
    if (state.status === "failed") {
      reason.textContent = state.reason || "Raison inconnue.";
      failure.hidden = false;
      bar.parentElement.hidden = true;
    }
  };

  const poll = async () => {
    try {
      const response = await fetch(job.dataset.stateUrl, {
        headers: { Accept: "application/json" },
        cache: "no-store",
      });
      if (!response.ok) throw new Error(String(response.status));
      const state = await response.json();
      failures = 0;
      render(state);
      if (state.status === "ready") {
        window.setTimeout(() => window.location.reload(), 1200);
        return;
      }
      if (state.finished) return;
    } catch {
      failures += 1;
      label.textContent = "Connexion perdue avec le serveur, nouvel essai…";
    }
    window.setTimeout(poll, every * Math.min(2 ** failures, 30));
  };

  fill.style.width = `${Number(fill.dataset.percent) || 0}%`;
  if (job.dataset.status === "queued" || job.dataset.status === "processing") {
    window.setTimeout(poll, every);
  }
}

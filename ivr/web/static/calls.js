// One-click calls: place the call without leaving the page, then follow it live.
(function () {
  "use strict";
  const statusEl = document.getElementById("call-status");
  const outcomeEl = document.getElementById("call-outcome");
  const panel = document.getElementById("current-call");
  let timer = null;

  function text(call) {
    let line = "Call to " + (call.candidate_name || "candidate") + ": " + call.status;
    if (call.disposition) line += " (" + call.disposition.replaceAll("-", " ") + ")";
    return line;
  }

  function outcomeText(call) {
    if (call.outcome) return call.outcome.label;
    return call.outcome_state === "pending" ? "pending" : "not recorded";
  }

  function updateRow(call) {
    const article = document.getElementById("candidate-" + call.candidate_id);
    if (!article) return;
    const body = article.querySelector("tbody");
    let row = body.querySelector('tr[data-call-id="' + call.id + '"]');
    if (!row) {
      row = document.createElement("tr");
      row.dataset.callId = call.id;
      const when = call.created_at.replace("T", " ").slice(0, 16) + " UTC";
      for (const [field, value] of [["when", when], ["direction", call.direction],
                                    ["recruiter", "me"], ["status", ""], ["duration", ""],
                                    ["outcome", ""]]) {
        const cell = document.createElement("td");
        cell.dataset.field = field;
        cell.textContent = value;
        row.appendChild(cell);
      }
      body.prepend(row);
    }
    row.querySelector('[data-field="status"]').textContent =
      call.status + (call.disposition ? " · " + call.disposition : "");
    const seconds = call.talk_duration ?? call.duration;
    row.querySelector('[data-field="duration"]').textContent = seconds == null ? "" : seconds + " s";
    row.querySelector('[data-field="outcome"]').textContent = outcomeText(call);
  }

  function show(call) {
    statusEl.textContent = text(call);
    outcomeEl.textContent = "Outcome: " + outcomeText(call);
    updateRow(call);
    const live = ["queued", "initiated", "ringing", "in-progress"].includes(call.status);
    document.querySelectorAll("button.call").forEach((b) => { b.disabled = live; });
    if (!live) stop();
  }

  function stop() { if (timer) { clearInterval(timer); timer = null; } }

  async function poll(callId) {
    const response = await fetch("/calls/" + callId + ".json", { headers: { Accept: "application/json" } });
    if (response.ok) show(await response.json());
  }

  function follow(callId) {
    stop();
    panel.dataset.callId = callId;
    poll(callId);
    timer = setInterval(() => poll(callId), 1000);
  }

  document.querySelectorAll("form.call-form").forEach((form) => {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const response = await fetch(form.action, {
        method: "POST", body: new FormData(form), headers: { Accept: "application/json" },
      });
      const body = await response.json();
      if (!response.ok) {
        statusEl.textContent = "Not placed: " + body.error;
        return;
      }
      show(body);
      follow(body.id);
    });
  });

  if (panel.dataset.callId) follow(panel.dataset.callId);
})();

// The recruiter's live panel: place a call without leaving the page, follow it in the
// server's own words (never words made up here), add a note once it has ended, and keep the
// callback list current as voicemails arrive.
(function () {
  "use strict";
  const panel = document.getElementById("current-call");
  if (!panel) return;
  const whoEl = document.getElementById("call-who");
  const statusEl = document.getElementById("call-status");
  const outcomeLine = document.getElementById("call-outcome-line");
  const outcomeEl = document.getElementById("call-outcome");
  const linkEl = document.getElementById("call-link");
  const historyEl = document.getElementById("call-history");
  const noteForm = document.getElementById("call-note");
  const hangUpForm = document.getElementById("call-hang-up");
  const pauseForm = document.getElementById("call-next-pause");
  const notesEl = document.getElementById("call-notes");
  const callbackList = document.getElementById("callback-list");
  const callbacksHeading = document.getElementById("callbacks-heading");
  const noCallbacks = document.getElementById("no-callbacks");
  const JSON_HEADERS = { Accept: "application/json" };
  const CALL_POLL_MS = 1000;
  const CALLBACK_POLL_MS = 4000;
  let timer = null;
  let busy = false; // a call is being placed or is live: every Call button stays disabled

  function setCallButtons(disabled) {
    document.querySelectorAll("button.call").forEach((b) => { b.disabled = disabled; });
  }

  function cell(field, value) {
    const td = document.createElement("td");
    td.dataset.field = field;
    td.textContent = value;
    return td;
  }

  function updateRow(call) {
    if (call.candidate_id == null) return;
    const article = document.getElementById("candidate-" + call.candidate_id);
    if (!article) return;
    const body = article.querySelector("tbody");
    let row = body.querySelector('tr[data-call-id="' + call.id + '"]');
    if (!row) {
      row = document.createElement("tr");
      row.dataset.callId = call.id;
      const when = cell("when", "");
      const link = document.createElement("a");
      link.href = call.call_url;
      link.textContent = call.created_at_text;
      when.appendChild(link);
      row.append(when, cell("direction", call.direction_text),
                 cell("recruiter", call.recruiter_name || "—"), cell("status", ""),
                 cell("duration", ""), cell("outcome", ""));
      body.prepend(row);
    }
    row.querySelector('[data-field="status"]').textContent = call.status_line;
    const seconds = call.talk_duration ?? call.duration;
    row.querySelector('[data-field="duration"]').textContent = seconds == null ? "" : seconds + " s";
    row.querySelector('[data-field="outcome"]').textContent = call.outcome_text;
  }

  function offerNote(call) {
    if (noteForm.dataset.callId === String(call.id)) return;
    noteForm.dataset.callId = call.id;
    noteForm.action = call.notes_url;
    noteForm.querySelector(".note-result").textContent = "";
    notesEl.replaceChildren();
    noteForm.hidden = false;
  }

  function show(call) {
    panel.dataset.callId = call.id;
    whoEl.textContent = call.heading;
    whoEl.hidden = false;
    statusEl.textContent = call.live_state.text;
    statusEl.dataset.state = call.live_state.code;
    outcomeEl.textContent = call.outcome_text;
    outcomeLine.hidden = false;
    linkEl.querySelector("a").href = call.call_url;
    linkEl.hidden = false;
    // A call placed by Call next: it may be the last one (the server decides what follows).
    if (pauseForm) {
      pauseForm.action = call.pause_next_url;
      pauseForm.hidden = !(call.call_next && call.is_live);
    }
    if (call.history_url) historyEl.querySelector("a").href = call.history_url;
    historyEl.hidden = !call.history_url;
    updateRow(call);
    if (call.hang_up_url) hangUpForm.action = call.hang_up_url;
    hangUpForm.hidden = !(call.is_live && call.hang_up_url);
    // Call next: once this call ends the server rings the next one; wait for it, then follow.
    const waitingForNext = !call.is_live && call.call_next_pending;
    busy = call.is_live || waitingForNext;
    setCallButtons(busy);
    if (!call.is_live && call.next_call_id) {
      follow(call.next_call_id);
    } else if (!call.is_live && !waitingForNext) {
      stop();
      offerNote(call);
    }
  }

  function stop() { if (timer) { clearInterval(timer); timer = null; } }

  async function poll(callId) {
    try {
      const response = await fetch("/calls/" + callId + ".json", { headers: JSON_HEADERS });
      if (response.ok) show(await response.json());
    } catch (error) {
      // The next poll tries again.
    }
  }

  function follow(callId) {
    stop();
    poll(callId);
    timer = setInterval(() => poll(callId), CALL_POLL_MS);
  }

  async function placeCall(form) {
    if (busy) return;
    busy = true;
    setCallButtons(true); // at once: a second click must not place a second call
    let response = null;
    let body = {};
    try {
      response = await fetch(form.action, {
        method: "POST", body: new FormData(form), headers: JSON_HEADERS,
      });
      body = await response.json();
    } catch (error) {
      body = { error: "the server could not be reached" };
    }
    if (!response || !response.ok) {
      busy = false;
      setCallButtons(false);
      statusEl.textContent = "Call not placed: " + (body.error || "the server refused it") + ".";
      return;
    }
    noteForm.hidden = true;
    delete noteForm.dataset.callId;
    notesEl.replaceChildren();
    show(body);
    follow(body.id);
  }

  async function saveNote() {
    const result = noteForm.querySelector(".note-result");
    const button = noteForm.querySelector("button");
    button.disabled = true;
    let response = null;
    let body = {};
    try {
      response = await fetch(noteForm.action, {
        method: "POST", body: new FormData(noteForm), headers: JSON_HEADERS,
      });
      body = await response.json();
    } catch (error) {
      body = { error: "the server could not be reached" };
    }
    button.disabled = false;
    if (!response || response.status !== 201) {
      result.textContent = "Note not added: " + (body.error || "the server refused it") + ".";
      return;
    }
    const item = document.createElement("li");
    item.textContent = body.at_text + " · " + body.author + ": " + body.text;
    notesEl.appendChild(item);
    noteForm.querySelector("textarea").value = "";
    result.textContent = "Note added.";
  }

  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (form.matches("form.call-form")) {
      event.preventDefault();
      placeCall(form);
    } else if (form === noteForm) {
      event.preventDefault();
      saveNote();
    }
  });

  async function refreshCallbacks() {
    let body;
    try {
      const response = await fetch("/callbacks.json", { headers: JSON_HEADERS });
      if (!response.ok) return;
      body = await response.json();
    } catch (error) {
      return;
    }
    const wanted = new Set(body.callbacks.map((c) => String(c.id)));
    callbackList.querySelectorAll("li.callback").forEach((item) => {
      if (!wanted.has(item.dataset.taskId)) item.remove();
    });
    for (const callback of body.callbacks) {
      if (callbackList.querySelector('li[data-task-id="' + callback.id + '"]')) continue;
      const template = document.createElement("template");
      template.innerHTML = callback.html.trim();
      const item = template.content.firstElementChild;
      item.querySelectorAll("button.call").forEach((b) => { b.disabled = busy; });
      callbackList.appendChild(item);
    }
    callbacksHeading.textContent = body.heading;
    noCallbacks.hidden = body.callbacks.length > 0;
  }

  // A call this page did not place (an inbound call taken, a dial-in) shows up here too.
  async function findLiveCall() {
    if (timer || busy) return;
    let body;
    try {
      const response = await fetch("/calls/live.json", { headers: JSON_HEADERS });
      if (!response.ok) return;
      body = await response.json();
    } catch (error) {
      return;
    }
    if (!body.call || timer || busy) return;
    noteForm.hidden = true;
    delete noteForm.dataset.callId;
    notesEl.replaceChildren();
    show(body.call);
    follow(body.call.id);
  }

  if (panel.dataset.callId) {
    busy = true;
    setCallButtons(true);
    follow(panel.dataset.callId);
  }
  setInterval(refreshCallbacks, CALLBACK_POLL_MS);
  setInterval(findLiveCall, CALLBACK_POLL_MS);
})();

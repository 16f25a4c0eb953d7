// smdiff studio: the page. Plain ES module, no dependencies, talks to the JSON API of smdiff.studio.app.

const COLOURS = ["#3656d6", "#d6336c", "#0f9960", "#e08a00", "#7048e8", "#1098ad", "#c2255c", "#5c940d"];
const GUTTER = 110; // px of track labels left of the bars
const HEADER = 34; // px above the lanes: bar numbers, then the form's labelled brackets
const CHORD_LANE = 18; // px more above the lanes for a model that reads chords: the chord lane

const $ = (id) => document.getElementById(id);
const state = {
  info: null, current: null, undo: [], redo: [], variants: [],
  selection: { first: 1, last: 4, tracks: new Set() }, playing: null, job: null,
};

async function api(path, options = {}) {
  const response = await fetch(path, options);
  const data = await response.json().catch(() => ({ error: `${response.status} ${response.statusText}` }));
  if (!response.ok) throw new Error(data.error || `${response.status} ${response.statusText}`);
  return data;
}

function say(text, error = false) {
  const message = $("message");
  message.textContent = text;
  message.classList.toggle("error", error);
}

function jsonPost(body) {
  return { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) };
}

// ---- drawing ---------------------------------------------------------------------------------

function barOf(piece, quarter) {
  const bars = piece.bars;
  let lo = 0, hi = bars.length - 2;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (bars[mid] <= quarter) lo = mid; else hi = mid - 1;
  }
  return lo;
}

function layout(piece, laneHeight, barWidth) {
  const count = piece.bars.length - 1;
  const x = (quarter) => {
    const i = barOf(piece, quarter);
    const span = piece.bars[i + 1] - piece.bars[i] || 1;
    return GUTTER + (i + (quarter - piece.bars[i]) / span) * barWidth;
  };
  const header = HEADER + (piece.chords ? CHORD_LANE : 0);
  return { count, x, laneHeight, barWidth, header, gutter: GUTTER, width: GUTTER + count * barWidth + 8, height: header + piece.tracks.length * laneHeight };
}

function drawRoll(canvas, piece, { selection = null, cursor = null, laneHeight = 64, barWidth = 48 } = {}) {
  const geometry = layout(piece, laneHeight, barWidth);
  canvas.width = geometry.width;
  canvas.height = geometry.height;
  canvas.geometry = geometry;
  canvas.dataset.form = (piece.form || []).map((section) => `${section.name}:${section.bars[0]}-${section.bars[1]}`).join(" ");
  canvas.dataset.chords = (piece.chords || []).map((chord) => `${barOf(piece, chord.start) + 1}:${chord.symbol}`).join(" ");
  const top0 = geometry.header;
  const g = canvas.getContext("2d");
  g.fillStyle = "#fbfcfe";
  g.fillRect(0, 0, canvas.width, canvas.height);
  // selection
  if (selection) {
    g.fillStyle = "rgba(255, 196, 0, 0.28)";
    piece.tracks.forEach((track, lane) => {
      if (track.slot && selection.tracks.has(track.slot)) {
        g.fillRect(GUTTER + (selection.first - 1) * barWidth, top0 + lane * laneHeight,
          (selection.last - selection.first + 1) * barWidth, laneHeight);
      }
    });
  }
  // grid: beats (quarters) and bars with their numbers
  g.font = "11px system-ui, sans-serif";
  for (let i = 0; i < geometry.count; i++) {
    const left = GUTTER + i * barWidth;
    const quarters = piece.bars[i + 1] - piece.bars[i];
    g.strokeStyle = "#e4e7ec";
    for (let beat = 1; beat < quarters; beat++) {
      const bx = left + (beat / quarters) * barWidth;
      g.beginPath(); g.moveTo(bx, top0); g.lineTo(bx, canvas.height); g.stroke();
    }
    g.strokeStyle = "#98a2b3";
    g.beginPath(); g.moveTo(left, 0); g.lineTo(left, canvas.height); g.stroke();
    g.fillStyle = "#667085";
    g.fillText(String(i + 1), left + 3, 12);
  }
  drawForm(g, geometry, piece.form || []);
  if (piece.chords) drawChords(g, geometry, piece.chords);
  // lanes, labels and notes
  piece.tracks.forEach((track, lane) => {
    const top = top0 + lane * laneHeight;
    g.strokeStyle = "#d0d5dd";
    g.beginPath(); g.moveTo(0, top); g.lineTo(canvas.width, top); g.stroke();
    const colour = COLOURS[lane % COLOURS.length];
    g.fillStyle = track.slot ? colour : "#98a2b3";
    g.fillText(track.name.slice(0, 16), 4, top + 14);
    g.fillStyle = "#667085";
    g.fillText(track.slot ? `→ ${track.slot}` : (track.is_drum ? "drums (kept)" : "kept"), 4, top + 28);
    if (!track.notes.length) return;
    const pitches = track.notes.map((n) => n[2]);
    const low = Math.min(...pitches) - 1, high = Math.max(...pitches) + 1;
    const rowHeight = Math.max(1.5, (laneHeight - 6) / (high - low + 1));
    g.fillStyle = colour;
    for (const [start, duration, pitch] of track.notes) {
      const x0 = geometry.x(start), x1 = geometry.x(start + duration);
      const y = top + 3 + (high - pitch) * ((laneHeight - 6) / (high - low + 1));
      g.fillRect(x0, y, Math.max(1.5, x1 - x0 - 0.5), rowHeight);
    }
  });
  if (cursor !== null) {
    const cx = geometry.x(cursor);
    g.strokeStyle = "#d92d20"; g.lineWidth = 2;
    g.beginPath(); g.moveTo(cx, 0); g.lineTo(cx, canvas.height); g.stroke();
    g.lineWidth = 1;
  }
}

function drawChords(g, geometry, chords) {
  // the chord lane: each chord's symbol where it starts, on a light band under the form's brackets
  const top = HEADER, bottom = HEADER + CHORD_LANE - 2;
  g.fillStyle = "#eef2fb"; g.fillRect(GUTTER, top, geometry.width - GUTTER, bottom - top);
  g.fillStyle = "#667085"; g.fillText("chords", 4, bottom - 4);
  g.font = "bold 11px system-ui, sans-serif";
  for (const chord of chords) {
    const left = geometry.x(chord.start), right = geometry.x(chord.end);
    g.strokeStyle = "#b8c2dc";
    g.beginPath(); g.moveTo(left, top); g.lineTo(left, bottom); g.stroke();
    g.save();
    g.beginPath(); g.rect(left, top, Math.max(0, right - left - 1), bottom - top); g.clip();
    g.fillStyle = "#1d2b53"; g.fillText(chord.symbol, left + 2, bottom - 4);
    g.restore();
  }
  g.font = "11px system-ui, sans-serif";
}

function drawForm(g, geometry, sections) {
  // a labelled bracket over the bars of each section: the form a piece was asked to follow
  g.strokeStyle = "#344054"; g.fillStyle = "#344054";
  g.font = "bold 11px system-ui, sans-serif";
  for (const section of sections) {
    const left = GUTTER + (section.bars[0] - 1) * geometry.barWidth + 2;
    const right = GUTTER + section.bars[1] * geometry.barWidth - 2;
    g.beginPath(); g.moveTo(left, 31); g.lineTo(left, 24); g.lineTo(right, 24); g.lineTo(right, 31); g.stroke();
    const label = section.name;
    const width = g.measureText(label).width + 6;
    const middle = (left + right) / 2;
    g.fillStyle = "#fbfcfe"; g.fillRect(middle - width / 2, 17, width, 12);
    g.fillStyle = "#344054"; g.fillText(label, middle - width / 2 + 3, 27);
  }
  g.font = "11px system-ui, sans-serif";
}

function redraw() {
  if (!state.current) return;
  const cursor = state.playing && state.playing.piece === state.current ? state.playing.quarter : null;
  drawRoll($("roll"), state.current, { selection: state.selection, cursor });
  for (const variant of state.variants) {
    const canvas = document.querySelector(`canvas[data-piece="${variant.id}"]`);
    const vcursor = state.playing && state.playing.piece === variant ? state.playing.quarter : null;
    if (canvas) drawRoll(canvas, variant, { selection: selectionOf(variant), cursor: vcursor, laneHeight: 40, barWidth: 22 });
  }
}

function selectionOf(piece) {
  if (!piece.selection) return null;
  return { first: piece.selection.bars[0], last: piece.selection.bars[1], tracks: new Set(piece.selection.tracks) };
}

// ---- the current piece, undo and redo -----------------------------------------------------------

function setCurrent(piece, { remember = true } = {}) {
  if (remember && state.current) { state.undo.push(state.current); state.redo = []; }
  state.current = piece;
  $("piece-name").textContent = `${piece.name} — ${piece.bars.length - 1} bars; select up to ${piece.window_bars} bars to regenerate`;
  const slots = [...new Set(piece.tracks.map((t) => t.slot).filter(Boolean))];
  if (![...state.selection.tracks].some((t) => slots.includes(t))) state.selection.tracks = new Set(slots.slice(0, 1));
  renderTrackChoices(slots);
  const download = $("download");
  download.href = `/api/piece/${piece.id}.mid`;
  download.classList.remove("disabled");
  $("generate").disabled = false;
  $("accompany").disabled = false; $("set-chords").disabled = false;
  $("play").disabled = !state.info.audio;
  $("stop").disabled = !state.info.audio;
  $("undo").disabled = state.undo.length === 0;
  $("redo").disabled = state.redo.length === 0;
  redraw();
}

function renderTrackChoices(slots) {
  const holder = $("track-choices");
  holder.replaceChildren(...slots.map((slot) => {
    const label = document.createElement("label");
    const box = document.createElement("input");
    box.type = "checkbox"; box.value = slot; box.dataset.track = slot;
    box.checked = state.selection.tracks.has(slot);
    box.addEventListener("change", () => {
      if (box.checked) state.selection.tracks.add(slot); else state.selection.tracks.delete(slot);
      redraw();
    });
    label.append(box, ` ${slot}`);
    return label;
  }));
}

function syncBarFields() {
  $("first-bar").value = state.selection.first;
  $("last-bar").value = state.selection.last;
  for (const box of document.querySelectorAll("#track-choices input")) box.checked = state.selection.tracks.has(box.value);
}

// ---- selecting with the mouse ------------------------------------------------------------------

function hit(canvas, event) {
  const rect = canvas.getBoundingClientRect();
  const g = canvas.geometry;
  const x = event.clientX - rect.left, y = event.clientY - rect.top;
  const bar = Math.min(g.count, Math.max(1, Math.floor((x - GUTTER) / g.barWidth) + 1));
  const lane = Math.min(state.current.tracks.length - 1, Math.max(0, Math.floor((y - g.header) / g.laneHeight)));
  return { bar, lane };
}

function bindSelection(canvas) {
  let anchor = null;
  canvas.addEventListener("mousedown", (event) => { if (state.current) { anchor = hit(canvas, event); extend(event); } });
  canvas.addEventListener("mousemove", (event) => { if (anchor) extend(event); });
  window.addEventListener("mouseup", () => { anchor = null; });
  function extend(event) {
    const here = hit(canvas, event);
    state.selection.first = Math.min(anchor.bar, here.bar);
    state.selection.last = Math.max(anchor.bar, here.bar);
    const lanes = state.current.tracks.slice(Math.min(anchor.lane, here.lane), Math.max(anchor.lane, here.lane) + 1);
    const slots = lanes.map((t) => t.slot).filter(Boolean);
    if (slots.length) state.selection.tracks = new Set(slots);
    syncBarFields();
    redraw();
  }
}

// ---- generating -------------------------------------------------------------------------------

function samplingOptions() {
  return {
    sampler: $("sampler").value,
    steps: Number($("steps").value),
    temperature: Number($("temperature").value),
    n: Number($("variants").value),
  };
}

function copyOptions() {
  // the selection as a repeat or a variation of other bars of the song (1-based, inclusive)
  const mode = $("copy-mode").value;
  if (!mode) return {};
  const bars = [Number($("copy-first").value), Number($("copy-last").value)];
  return mode === "repeat" ? { repeat_from: bars } : { vary_from: bars, vary_keep: Number($("vary-keep").value) };
}

async function runJob(path, body) {
  const job = `job${Math.random().toString(36).slice(2, 12)}`;
  state.job = job;
  $("generate").disabled = true; $("new-piece").disabled = true; $("accompany").disabled = true;
  $("cancel").hidden = false;
  const bar = $("progress");
  bar.hidden = false; bar.value = 0;
  const started = performance.now();
  const poll = setInterval(async () => {
    try {
      const p = await api(`/api/progress/${job}`);
      if (state.job !== job) return; // the answer came first; its message stands
      if (p.running && p.total) bar.value = p.step / p.total;
      say(`generating… ${p.running ? `step ${p.step} of ${p.total}` : ""} (${((performance.now() - started) / 1000).toFixed(1)} s)`);
    } catch (error) { /* the page keeps waiting for the answer itself */ }
  }, 150);
  try {
    return await api(path, jsonPost({ ...body, job }));
  } finally {
    clearInterval(poll);
    state.job = null;
    $("generate").disabled = !state.current; $("new-piece").disabled = false; $("accompany").disabled = !state.current;
    $("cancel").hidden = true; bar.hidden = true;
  }
}

function showVariants(variants, seconds) {
  state.variants = variants;
  const area = $("variants-area");
  area.replaceChildren(...variants.map((variant, number) => {
    const box = document.createElement("article");
    box.className = "variant";
    box.dataset.variant = String(number);
    const title = document.createElement("h3");
    const where = variant.selection ? ` — bars ${variant.selection.bars[0]}–${variant.selection.bars[1]} of ${variant.selection.tracks.join(", ")} regenerated` : "";
    const form = variant.form && variant.form.length ? ` — form ${variant.form.map((s) => `${s.name} (bars ${s.bars[0]}–${s.bars[1]})`).join(", ")}` : "";
    title.textContent = `Variant ${number + 1}${where}${form}`;
    const scroll = document.createElement("div");
    scroll.className = "roll-scroll";
    const canvas = document.createElement("canvas");
    canvas.dataset.piece = variant.id;
    scroll.append(canvas);
    const actions = document.createElement("div");
    actions.className = "actions";
    const play = document.createElement("button");
    play.textContent = "Play"; play.type = "button"; play.disabled = !state.info.audio;
    play.addEventListener("click", () => startPlayback(variant));
    const accept = document.createElement("button");
    accept.textContent = "Accept"; accept.type = "button"; accept.className = "primary"; accept.dataset.accept = String(number);
    accept.addEventListener("click", () => { stopPlayback(); setCurrent(variant); showVariants([]); say(`kept variant ${number + 1}`); });
    actions.append(play, accept);
    box.append(title, scroll, actions);
    return box;
  }));
  redraw();
  for (const variant of variants) { // show each variant's regenerated bars, not its first ones
    const canvas = document.querySelector(`canvas[data-piece="${variant.id}"]`);
    if (canvas && variant.selection) canvas.parentElement.scrollLeft = canvas.geometry.x(variant.bars[variant.selection.bars[0] - 1]) - GUTTER - 40;
  }
  if (variants.length) say(`${variants.length} variant(s) in ${seconds.toFixed(1)} s: play them, accept one`);
}

async function infill() {
  const { first, last } = state.selection;
  const tracks = [...state.selection.tracks];
  const started = performance.now();
  try {
    const result = await runJob("/api/infill", { piece: state.current.id, bars: [first, last], tracks, ...copyOptions(), ...samplingOptions() });
    showVariants(result.variants, (performance.now() - started) / 1000);
  } catch (error) { say(error.message, true); }
}

async function accompany() {
  // a new accompaniment of the selected bars under the current melody and chords
  const { first, last } = state.selection;
  const started = performance.now();
  try {
    const result = await runJob("/api/infill", { piece: state.current.id, bars: [first, last], tracks: state.info.accompaniment, task: "accompany", ...samplingOptions() });
    showVariants(result.variants, (performance.now() - started) / 1000);
  } catch (error) { say(error.message, true); }
}

async function setChords() {
  // the chords of the selected bars, as typed: a new version of the piece (undo brings the old chords back)
  const { first, last } = state.selection;
  const chords = $("chords").value.trim();
  try {
    setCurrent(await api("/api/chords", jsonPost({ piece: state.current.id, bars: [first, last], chords })));
    showVariants([]);
    say(`chords of bars ${first}–${last} set to ${chords}: Accompany writes music under them`);
  } catch (error) { say(error.message, true); }
}

async function newPiece() {
  const started = performance.now();
  try {
    const form = $("form").value.trim();
    const asked = form ? { form, ...(form.includes("'") ? { vary_keep: Number($("vary-keep").value) } : {}) } : {};
    const result = await runJob("/api/generate", { ...asked, ...samplingOptions() });
    showVariants(result.variants, (performance.now() - started) / 1000);
  } catch (error) { say(error.message, true); }
}

// ---- playback ---------------------------------------------------------------------------------

function stopPlayback() {
  if (!state.playing) return;
  state.playing.audio.pause();
  cancelAnimationFrame(state.playing.frame);
  state.playing = null;
  redraw();
}

function startPlayback(piece) {
  stopPlayback();
  const from = Math.min(Math.max(1, Number($("play-from").value) || 1), piece.bars.length - 1);
  const audio = new Audio(`/api/piece/${piece.id}.wav`);
  const playing = { audio, piece, quarter: piece.bars[from - 1], frame: 0 };
  state.playing = playing;
  say("rendering audio…");
  audio.addEventListener("loadedmetadata", () => { audio.currentTime = piece.bar_seconds[from - 1]; audio.play(); say(`playing ${piece.name} from bar ${from}`); });
  audio.addEventListener("error", () => { say("audio could not be played", true); stopPlayback(); });
  audio.addEventListener("ended", stopPlayback);
  const tick = () => {
    if (state.playing !== playing) return;
    const t = audio.currentTime, seconds = piece.bar_seconds;
    let i = 0;
    while (i < seconds.length - 2 && seconds[i + 1] <= t) i++;
    const span = seconds[i + 1] - seconds[i] || 1;
    playing.quarter = piece.bars[i] + Math.min(1, (t - seconds[i]) / span) * (piece.bars[i + 1] - piece.bars[i]);
    document.body.dataset.cursor = playing.quarter.toFixed(3); // where the cursor is, in quarter notes
    redraw();
    playing.frame = requestAnimationFrame(tick);
  };
  playing.frame = requestAnimationFrame(tick);
}

// ---- wiring -----------------------------------------------------------------------------------

async function start() {
  const info = await api("/api/info");
  state.info = info;
  $("run-info").textContent = `${info.run}: ${info.model} on ${info.tokenizer}, step ${info.step} (${info.checkpoint}), ${info.window_bars}-bar window`;
  $("sampler").replaceChildren(...info.samplers.map((name) => new Option(name, name)));
  $("steps").max = info.limits.steps; $("variants").max = info.limits.variants;
  if (!info.audio) { $("audio-note").hidden = false; $("audio-note").textContent = `Audio is off: ${info.audio_problem}. Everything else works.`; }
  if (info.midi_dir) {
    const { files } = await api("/api/files");
    $("folder-files").replaceChildren(...files.map((file) => new Option(file, file)));
    $("folder").hidden = false;
  }
  bindSelection($("roll"));
  $("upload").addEventListener("change", async (event) => {
    const file = event.target.files[0];
    if (!file) return;
    const form = new FormData();
    form.append("file", file);
    say(`reading ${file.name}…`);
    try { setCurrent(await api("/api/upload", { method: "POST", body: form })); showVariants([]); say(`opened ${file.name}`); }
    catch (error) { say(error.message, true); }
    event.target.value = "";
  });
  $("open-file").addEventListener("click", async () => {
    try { setCurrent(await api("/api/open", jsonPost({ file: $("folder-files").value }))); showVariants([]); say(`opened ${$("folder-files").value}`); }
    catch (error) { say(error.message, true); }
  });
  $("new-piece").addEventListener("click", newPiece);
  $("copy-mode").addEventListener("change", () => {
    $("copy-bars").hidden = !$("copy-mode").value;
    $("vary-keep").parentElement.hidden = $("copy-mode").value !== "vary";
  });
  $("generate").addEventListener("click", infill);
  $("chord-tools").hidden = !info.chords;
  $("accompany").addEventListener("click", accompany);
  $("set-chords").addEventListener("click", setChords);
  $("cancel").addEventListener("click", () => { if (state.job) api(`/api/cancel/${state.job}`, { method: "POST" }); });
  $("first-bar").addEventListener("input", () => { state.selection.first = Number($("first-bar").value); redraw(); });
  $("last-bar").addEventListener("input", () => { state.selection.last = Number($("last-bar").value); redraw(); });
  $("play").addEventListener("click", () => state.current && startPlayback(state.current));
  $("stop").addEventListener("click", stopPlayback);
  $("undo").addEventListener("click", () => {
    if (!state.undo.length) return;
    state.redo.push(state.current);
    setCurrent(state.undo.pop(), { remember: false });
  });
  $("redo").addEventListener("click", () => {
    if (!state.redo.length) return;
    state.undo.push(state.current);
    setCurrent(state.redo.pop(), { remember: false });
  });
  document.body.dataset.ready = "true";
}

start().catch((error) => say(`the studio could not start: ${error.message}`, true));

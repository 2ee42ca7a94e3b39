// msgport chat: one WebSocket per room. See protocol.go for the frames.
"use strict";

const $ = (id) => document.getElementById(id);
let ws = null;        // the open WebSocket, if any
let joined = false;   // the server has accepted our join
let leaving = false;  // the user pressed Leave

function setStatus(text) {
  $("status").textContent = text;
}

function showError(text) {
  const el = $("error");
  el.textContent = text || "";
  el.hidden = !text;
}

function showChat(on) {
  $("join-form").hidden = on;
  $("chat").hidden = !on;
}

function fmtTime(ms) {
  const d = ms ? new Date(ms) : new Date();
  return d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

function span(cls, text) {
  const s = document.createElement("span");
  s.className = cls;
  s.textContent = text;
  return s;
}

// addEntry appends a line to the log. Text is set with textContent only:
// nothing a user types is ever parsed as HTML.
function addEntry(f) {
  const log = $("log");
  const atBottom = log.scrollTop + log.clientHeight >= log.scrollHeight - 8;
  const li = document.createElement("li");
  li.dataset.nick = f.nick;
  li.append(span("time", fmtTime(f.time)));
  if (f.type === "message") {
    li.className = "message" + (f.self ? " self" : "");
    li.append(span("nick", f.nick), span("text", f.text));
  } else {
    li.className = "notice " + f.type;
    const what = { joined: "You joined", join: "joined", leave: "left" }[f.type];
    li.append(span("text", f.type === "joined" ? `${what} #${f.room} as ${f.nick}` : `${f.nick} ${what}`));
  }
  log.append(li);
  if (atBottom || f.self) log.scrollTop = log.scrollHeight;
}

function handle(f) {
  switch (f.type) {
    case "joined":
      joined = true;
      showError("");
      $("log").replaceChildren();
      $("room-name").textContent = f.room;
      $("me").textContent = f.nick;
      history.replaceState(null, "", "#" + f.room);
      localStorage.setItem("chat.nick", f.nick);
      setStatus(`Connected to #${f.room}`);
      showChat(true);
      addEntry(f);
      $("text").focus();
      break;
    case "join":
    case "leave":
    case "message":
      addEntry(f);
      break;
    case "error":
      showError(f.error);
      if (!joined) ws.close(1000, "join refused"); // fix the form and try again
      break;
  }
}

function join(nick, room) {
  showError("");
  joined = false;
  leaving = false;
  const url = new URL("/ws", location.href);
  url.protocol = location.protocol === "https:" ? "wss:" : "ws:";
  const sock = new WebSocket(url);
  ws = sock;
  setStatus("Connecting…");
  sock.onopen = () => sock.send(JSON.stringify({ type: "join", room, nick }));
  sock.onmessage = (ev) => {
    let f;
    try {
      f = JSON.parse(ev.data);
    } catch {
      return;
    }
    handle(f);
  };
  sock.onclose = (ev) => {
    if (ws !== sock) return;
    ws = null;
    if (joined && !leaving) {
      showError(ev.reason ? `Disconnected: ${ev.reason}` : `Connection lost (code ${ev.code})`);
    } else if (!joined && $("error").hidden) {
      showError(ev.reason ? `Could not join: ${ev.reason}` : "Could not connect to the server");
    }
    joined = false;
    setStatus("Not connected");
    showChat(false);
  };
}

$("join-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  if (ws) ws.close(1000, "rejoin");
  join($("nick").value.trim(), $("room").value.trim());
});

$("send-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const text = $("text").value;
  if (!text.trim() || !ws || ws.readyState !== WebSocket.OPEN) return;
  ws.send(JSON.stringify({ type: "message", text }));
  $("text").value = ""; // our own message comes back from the server, marked self
});

$("leave").addEventListener("click", () => {
  leaving = true;
  if (ws) ws.close(1000, "leave");
});

$("room").value = decodeURIComponent(location.hash.slice(1)) || "lobby";
$("nick").value = localStorage.getItem("chat.nick") || "";
$(($("nick").value ? "room" : "nick")).focus();

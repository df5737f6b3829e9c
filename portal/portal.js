// The demo partner portal: embeds the console (another origin) and shows the
// session messages it posts. It accepts messages from the console's origin only.
const frame = document.getElementById("viewas");
const list = document.getElementById("messages");
const state = document.getElementById("session-state");

// The console's address comes from the server that serves this page
// (config.json), or from ?console= for trying another one by hand.
async function consoleUrl() {
  const fromQuery = new URLSearchParams(location.search).get("console");
  if (fromQuery) return fromQuery;
  const res = await fetch("config.json");
  if (!res.ok) throw new Error(`config.json: ${res.status}`);
  return (await res.json()).console_url;
}

function show(data) {
  const item = document.createElement("li");
  item.textContent = JSON.stringify(data);
  item.dataset.type = data.type;
  list.prepend(item);
  if (data.type === "viewas.session.started") {
    state.textContent = `Session ${data.session_id} started.`;
  } else if (data.type === "viewas.session.ended") {
    state.textContent = `Session ${data.session_id} ended (${data.reason}).`;
  }
}

// The console learns this page's origin from the browser (ancestorOrigins)
// where it can; ?partner_origin= names it for browsers that cannot (Firefox).
// Either way it posts only to one of the server's partner origins
// (docs/embedding.md).
const url = new URL(await consoleUrl());
url.searchParams.set("partner_origin", location.origin);
const origin = url.origin;
window.viewasMessages = [];
window.addEventListener("message", (event) => {
  if (event.origin !== origin) return;
  const data = event.data;
  if (!data || typeof data.type !== "string" || !data.type.startsWith("viewas.")) return;
  window.viewasMessages.push(data);
  show(data);
});
frame.src = url.href;

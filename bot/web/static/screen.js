// The live station screen: re-fetch the board when the server says it changed; reconnect
// by itself after a network drop or a server restart. No framework, no build step.
(function () {
  "use strict";
  var body = document.body;
  var boardUrl = body.dataset.board;
  var eventsUrl = body.dataset.events;
  if (body.dataset.app) {
    // The Mini App: Telegram hands its signed launch data in the URL fragment.
    var launch = new URLSearchParams(location.hash.slice(1)).get("tgWebAppData") || "";
    if (!launch && window.Telegram && window.Telegram.WebApp) {
      launch = window.Telegram.WebApp.initData || "";
    }
    var query = "?auth=" + encodeURIComponent(launch);
    boardUrl += query;
    eventsUrl += query;
  }
  var status = document.getElementById("status");
  var source = null;
  var fetching = false;
  var again = false;
  var over = false;

  function show(text) {
    status.textContent = text;
    status.hidden = !text;
  }

  function gone() {
    over = true;
    if (source) source.close();
    var board = document.getElementById("board");
    board.innerHTML = "";
    show(body.dataset.gone);
  }

  async function refresh() {
    if (over) return;
    if (fetching) { again = true; return; }
    fetching = true;
    try {
      do {
        again = false;
        var response = await fetch(boardUrl, { cache: "no-store" });
        if (response.status === 404 || response.status === 403) { gone(); return; }
        if (response.ok) {
          var html = await response.text();
          document.getElementById("board").outerHTML = html;
          window.wardboardVersion = (window.wardboardVersion || 0) + 1;
        }
      } while (again);
    } catch (error) {
      show(body.dataset.offline);
    } finally {
      fetching = false;
    }
  }

  function connect() {
    if (over) return;
    source = new EventSource(eventsUrl);
    source.addEventListener("changed", refresh);
    source.addEventListener("gone", gone);
    source.onopen = function () {
      show("");
      // Whatever changed while the connection was down is fetched now.
      refresh();
    };
    source.onerror = function () {
      if (over) return;
      show(body.dataset.offline);
      if (source.readyState === EventSource.CLOSED) {
        // The server answered but not with a stream (restarting, or the link is gone).
        setTimeout(function () { refresh().then(connect); }, 1000);
      }
    };
  }

  if (!document.querySelector("#board .beds")) refresh();
  connect();
})();

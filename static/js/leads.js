// "Select all" on the channel manager's lead list (mass reassign, C7).
document.addEventListener("change", function (event) {
  if (!event.target.matches("[data-select-all]")) return;
  document.querySelectorAll('#lead-rows input[name="lead"]').forEach(function (box) {
    box.checked = event.target.checked;
  });
});

// The Leads tab's queue table reloads itself every few seconds (htmx polling, C3). A reload must not move a person:
// an unchanged table is left alone; a changed one keeps the keyboard focus on the same control (ids are stable per
// lead), or on the next row's control when that lead is gone, keeps the scroll position, and is announced politely.
(function () {
  var saved = null;

  function withoutTokens(html) {
    return html.replace(/name="csrfmiddlewaretoken" value="[^"]*"/g, "").replace(/\s+/g, " ").trim();
  }

  function rowsTarget(evt) {
    var target = evt.detail && evt.detail.target;
    return target && target.id === "lead-rows" ? target : null;
  }

  document.addEventListener("htmx:beforeSwap", function (evt) {
    var rows = rowsTarget(evt);
    if (!rows || !evt.detail.shouldSwap) return;
    if (withoutTokens(evt.detail.serverResponse) === withoutTokens(rows.outerHTML)) {
      evt.detail.shouldSwap = false;  // nothing changed: no swap, no lost focus, nothing to announce
      return;
    }
    var active = document.activeElement;
    var row = active && rows.contains(active) ? active.closest("tr") : null;
    var following = [];
    if (row) {
      for (var next = row.nextElementSibling; next; next = next.nextElementSibling) following.push(next.id);
    }
    saved = {
      id: active && rows.contains(active) && active.id ? active.id : null,
      following: following,
      scrollX: window.scrollX,
      scrollY: window.scrollY
    };
  });

  document.addEventListener("htmx:afterSwap", function (evt) {
    if (!rowsTarget(evt) || !saved) return;
    var state = saved;
    saved = null;
    var status = document.getElementById("lead-rows-status");
    var message = status ? status.dataset.changed : "";
    if (state.id) {
      var same = document.getElementById(state.id);
      if (same) {
        same.focus({ preventScroll: true });
      } else {
        var moved = false;
        for (var i = 0; i < state.following.length && !moved; i++) {
          var row = document.getElementById(state.following[i]);
          var control = row && row.querySelector("button, a[href], input");
          if (control) { control.focus({ preventScroll: true }); moved = true; }
        }
        if (!moved) {
          var first = document.querySelector("#lead-rows button, #lead-rows a[href]");
          if (first) first.focus({ preventScroll: true });
        }
        if (status) message = status.dataset.gone;
      }
    }
    window.scrollTo(state.scrollX, state.scrollY);
    if (status && message) {
      status.textContent = "";
      window.setTimeout(function () { status.textContent = message; }, 50);
    }
  });
})();

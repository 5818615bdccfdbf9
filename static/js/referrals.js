/* Referrals: the guided New deal form (one step at a time, each checked before the next, "Step 4 of 6") and its
   customer suggestions, a listbox the name field controls: the arrow keys move through the suggestions (they are not
   in the tab order), Enter picks one and the focus stays in the field. Enter in a field goes to the next step; only
   the last step's button creates the deal. */
(function () {
  function guided(form) {
    var steps = Array.prototype.slice.call(form.querySelectorAll(".guided-step"));
    if (!steps.length) return;
    form.classList.add("js-guided");
    var progress = form.querySelector("#guided-progress");
    var stepNames = Array.prototype.slice.call(form.querySelectorAll(".guided-steps li"));
    var firstError = steps.findIndex(function (s) { return s.querySelector(".errorlist"); });
    var current = firstError >= 0 ? firstError : 0;

    function show(i, focusField) {
      current = i;
      steps.forEach(function (s, j) { s.classList.toggle("current", j === i); });
      stepNames.forEach(function (li, j) {
        li.classList.toggle("current", j === i);
        li.classList.toggle("done", j < i);
      });
      if (progress) {
        progress.textContent = progress.dataset.template.replace("{n}", i + 1).replace("{total}", steps.length);
      }
      if (focusField !== false) {
        var focus = steps[i].querySelector("input:not([type=hidden]), select, textarea");
        if (focus) focus.focus();
      }
    }

    function valid(step) {
      var fields = step.querySelectorAll("input, select, textarea");
      for (var k = 0; k < fields.length; k++) {
        if (fields[k].offsetParent !== null && !fields[k].checkValidity()) { fields[k].reportValidity(); return false; }
      }
      return true;
    }

    function next() {
      if (valid(steps[current])) show(Math.min(current + 1, steps.length - 1));
    }

    // --- the customer suggestions (a listbox pattern) ---------------------------------------------------------
    var name = form.querySelector("#id_customer_name");
    var list = form.querySelector("#customer-suggestions");
    var active = -1;

    function options() {
      return list ? Array.prototype.slice.call(list.querySelectorAll("[role=option]")) : [];
    }

    function setActive(i) {
      var opts = options();
      active = opts.length ? (i + opts.length) % opts.length : -1;
      opts.forEach(function (o, j) {
        o.classList.toggle("active", j === active);
        o.setAttribute("aria-selected", j === active ? "true" : "false");
      });
      if (active >= 0) {
        name.setAttribute("aria-activedescendant", opts[active].id);
        opts[active].scrollIntoView({ block: "nearest" });
      } else {
        name.removeAttribute("aria-activedescendant");
      }
    }

    function close() {
      if (!list) return;
      list.innerHTML = "";
      active = -1;
      name.setAttribute("aria-expanded", "false");
      name.removeAttribute("aria-activedescendant");
    }

    function pick(option) {
      name.value = option.dataset.name;
      form.querySelector("#id_customer_duns").value = option.dataset.duns || "";
      if (option.dataset.city) form.querySelector("#id_customer_city").value = option.dataset.city;
      if (option.dataset.country) form.querySelector("#id_customer_country").value = option.dataset.country;
      close();
      name.focus();
    }

    if (name && list) {
      document.body.addEventListener("htmx:afterSwap", function (evt) {
        if (evt.detail.target !== list) return;
        active = -1;
        name.setAttribute("aria-expanded", options().length ? "true" : "false");
        name.removeAttribute("aria-activedescendant");
      });
      name.addEventListener("keydown", function (e) {
        var opts = options();
        if (e.key === "ArrowDown" && opts.length) { e.preventDefault(); setActive(active + 1); }
        else if (e.key === "ArrowUp" && opts.length) { e.preventDefault(); setActive(active - 1); }
        else if (e.key === "Escape" && opts.length) { e.preventDefault(); close(); }
        else if (e.key === "Enter" && active >= 0 && opts[active]) {
          e.preventDefault();
          e.stopPropagation();
          pick(opts[active]);
        }
      });
      list.addEventListener("mousedown", function (e) { e.preventDefault(); });  // keep the focus in the field
      list.addEventListener("click", function (e) {
        var option = e.target.closest("[role=option]");
        if (option) pick(option);
      });
    }

    // --- Enter goes to the next step; only the last step's button submits --------------------------------------
    form.addEventListener("keydown", function (e) {
      if (e.key !== "Enter" || e.defaultPrevented) return;
      var t = e.target;
      if (t.tagName === "TEXTAREA" || t.tagName === "BUTTON" || t.tagName === "A") return;
      if (!t.matches("input, select")) return;
      e.preventDefault();
      if (current < steps.length - 1) next();
    });

    form.addEventListener("click", function (e) {
      if (e.target.matches("[data-next]")) { next(); }
      else if (e.target.matches("[data-back]")) { show(Math.max(current - 1, 0)); }
      else if (e.target.matches(".add-person")) {
        var p = e.target.dataset;
        var rows = form.querySelectorAll("[data-team-row]");
        for (var r = 0; r < rows.length; r++) {
          var person = rows[r].querySelector("input[name$='_name']");
          if (!person.value) {
            person.value = p.name;
            rows[r].querySelector("input[name$='_phone']").value = p.phone;
            rows[r].querySelector("input[name$='_email']").value = p.email;
            break;
          }
        }
      }
    });
    form.addEventListener("submit", function (e) {
      for (var i = 0; i < steps.length; i++) { if (!valid(steps[i])) { e.preventDefault(); show(i); valid(steps[i]); return; } }
    });
    var kind = form.querySelector("#id_solution_kind");
    function toggleKind() {
      form.querySelectorAll("[data-when-kind]").forEach(function (el) {
        var on = el.dataset.whenKind === kind.value;
        el.hidden = !on;
        el.querySelectorAll("input, select").forEach(function (f) { f.required = on; });
      });
    }
    if (kind) { kind.addEventListener("change", toggleKind); toggleKind(); }
    show(current);
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-guided]").forEach(guided);
  });
})();

/* Referrals: the guided New deal form (one step at a time, each checked before the next) and customer suggestions. */
(function () {
  function guided(form) {
    var steps = Array.prototype.slice.call(form.querySelectorAll(".guided-step"));
    if (!steps.length) return;
    form.classList.add("js-guided");
    var firstError = steps.findIndex(function (s) { return s.querySelector(".errorlist"); });
    var current = firstError >= 0 ? firstError : 0;
    function show(i) {
      current = i;
      steps.forEach(function (s, j) { s.classList.toggle("current", j === i); });
      var focus = steps[i].querySelector("input:not([type=hidden]), select, textarea");
      if (focus) focus.focus();
    }
    function valid(step) {
      var fields = step.querySelectorAll("input, select, textarea");
      for (var k = 0; k < fields.length; k++) {
        if (fields[k].offsetParent !== null && !fields[k].checkValidity()) { fields[k].reportValidity(); return false; }
      }
      return true;
    }
    form.addEventListener("click", function (e) {
      if (e.target.matches("[data-next]")) { if (valid(steps[current])) show(Math.min(current + 1, steps.length - 1)); }
      else if (e.target.matches("[data-back]")) { show(Math.max(current - 1, 0)); }
      else if (e.target.matches(".suggestion")) {
        var b = e.target;
        form.querySelector("#id_customer_name").value = b.dataset.name;
        form.querySelector("#id_customer_duns").value = b.dataset.duns || "";
        if (b.dataset.city) form.querySelector("#id_customer_city").value = b.dataset.city;
        if (b.dataset.country) form.querySelector("#id_customer_country").value = b.dataset.country;
        form.querySelector("#customer-suggestions").innerHTML = "";
      }
      else if (e.target.matches(".add-person")) {
        var p = e.target.dataset;
        var rows = form.querySelectorAll("[data-team-row]");
        for (var r = 0; r < rows.length; r++) {
          var name = rows[r].querySelector("input[name$='_name']");
          if (!name.value) {
            name.value = p.name;
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

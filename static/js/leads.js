// "Select all" on the channel manager's lead list (mass reassign, C7).
document.addEventListener("change", function (event) {
  if (!event.target.matches("[data-select-all]")) return;
  document.querySelectorAll('#lead-rows input[name="lead"]').forEach(function (box) {
    box.checked = event.target.checked;
  });
});

// Small progressive enhancements; the portal works without them.
// The messages come translated from the page (data-msg-* on <body>), never in English from here.
document.addEventListener("htmx:responseError", function (evt) {
  var box = document.querySelector(".messages") || document.createElement("ul");
  box.className = "messages";
  box.setAttribute("role", "status");
  var item = document.createElement("li");
  item.className = "message error";
  item.textContent = evt.detail.xhr.status === 404 ? document.body.dataset.msgNotFound : document.body.dataset.msgFailed;
  box.replaceChildren(item);
  var main = document.getElementById("main");
  if (main && !box.parentNode) main.prepend(box);
});
// A select marked data-autosubmit sends its form when changed (the language switcher, list views): no inline
// handlers, the Content-Security-Policy forbids them.
document.addEventListener("change", function (event) {
  if (event.target.matches("select[data-autosubmit]") && event.target.form) event.target.form.submit();
});

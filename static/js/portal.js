// Small progressive enhancements; the portal works without them.
document.addEventListener("htmx:responseError", function (evt) {
  var box = document.querySelector(".messages") || document.createElement("ul");
  box.className = "messages";
  box.innerHTML = '<li class="message error">' + (evt.detail.xhr.status === 404 ? "Not found." : "Something went wrong; nothing was changed.") + "</li>";
  var main = document.getElementById("main");
  if (main && !box.parentNode) main.prepend(box);
});
// A select marked data-autosubmit sends its form when changed (the language switcher, list views): no inline
// handlers, the Content-Security-Policy forbids them.
document.addEventListener("change", function (event) {
  if (event.target.matches("select[data-autosubmit]") && event.target.form) event.target.form.submit();
});

// Small progressive enhancements; the portal works without them.
document.addEventListener("htmx:responseError", function (evt) {
  var box = document.querySelector(".messages") || document.createElement("ul");
  box.className = "messages";
  box.innerHTML = '<li class="message error">' + (evt.detail.xhr.status === 404 ? "Not found." : "Something went wrong; nothing was changed.") + "</li>";
  var main = document.getElementById("main");
  if (main && !box.parentNode) main.prepend(box);
});

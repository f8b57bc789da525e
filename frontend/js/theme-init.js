// Applies the remembered theme before first paint (an external file: the CSP forbids inline scripts).
(function () {
  try {
    var t = localStorage.getItem("asa.theme");
    if (t === "light" || t === "dark") document.documentElement.setAttribute("data-theme", t);
  } catch (e) { /* storage disabled: keep the dark default */ }
})();

// The print pages' "Print" button: shown and wired only where JavaScript runs (the page is
// printed from the browser's menu without it). No inline script: the CSP forbids them.
document.querySelectorAll("[data-print]").forEach((button) => {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
});

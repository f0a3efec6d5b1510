// The page of a printout being prepared (printouts.services): reloads itself after the
// number of seconds its status box names, until the server answers with the PDF. No inline
// script: the CSP forbids them.
document.querySelectorAll("[data-reload-after]").forEach((box) => {
  const seconds = Number(box.dataset.reloadAfter) || 5;
  window.setTimeout(() => window.location.reload(), seconds * 1000);
});

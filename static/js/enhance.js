// Loaded in the page's head, before it is drawn (no inline script: the CSP forbids them).
// Marks the page as run with JavaScript: the stylesheet then folds the main menu behind its
// button on narrow screens (Bootstrap's collapse); without JavaScript the menu stays open.
document.documentElement.classList.add("js");

// Actions: buttons whose outcome a live region tells, and confirm dialogs.

import { h, add, fill, errorBox } from "./dom.js";

// An action's button: busy while it runs, its outcome said in `status` (a live region).
export function actionButton(label, cls, act, status) {
  const button = h("button", { type: "button", class: cls });
  add(button, [label]);
  button.addEventListener("click", async () => {
    button.disabled = true;
    if (status) fill(status);
    try {
      await act(button);
    } catch (error) {
      if (status) fill(status, errorBox(error.message));
      else alertBox(error.message);
    } finally {
      button.disabled = false;
    }
  });
  return button;
}

export function alertBox(message) {
  const main = document.getElementById("main");
  main.prepend(errorBox(message));
}

export function statusRegion() {
  return h("div", { role: "status", "aria-live": "polite" });
}

// A modal question; resolves true when confirmed. Escape or Cancel resolve false.
export function confirmAction(title, lines, confirmLabel, danger) {
  return new Promise((resolve) => {
    const before = document.activeElement;
    const cancel = h("button", { type: "button" }, "Cancel");
    const confirm = h("button", { type: "button", class: danger ? "danger" : "primary" }, confirmLabel);
    const dialog = h("dialog", { class: "confirm", "aria-labelledby": "confirm-title" },
      h("h2", { id: "confirm-title" }, title),
      lines.map((line) => h("p", null, line)),
      h("div", { class: "actions" }, cancel, confirm));
    const close = (answer) => {
      dialog.close();
      dialog.remove();
      if (before && before.focus) before.focus();
      resolve(answer);
    };
    cancel.addEventListener("click", () => close(false));
    confirm.addEventListener("click", () => close(true));
    dialog.addEventListener("cancel", (event) => {
      event.preventDefault();
      close(false);
    });
    document.body.append(dialog);
    dialog.showModal();
    cancel.focus();
  });
}

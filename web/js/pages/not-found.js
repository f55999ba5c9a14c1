// Any other hash.

import { fromTemplate } from "../dom.js";
import { setTitle } from "../page.js";

export function renderNotFound(main) {
  setTitle("Page not found");
  main.append(fromTemplate("tpl-not-found"));
}

// Save a Blob as a file: a temporary blob: link with a download name.

export function saveBlob(blob, filename) {
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  // The download has started from the link; the URL is not needed after that.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
